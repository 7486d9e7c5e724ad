import Foundation

/// Scalars as a TensorBoard event file (`events.out.tfevents.<time>.<host>` in a folder), the
/// format `tf.summary` and PyTorch's `SummaryWriter` write: TFRecord framing
///
///     u64 length | u32 masked CRC-32C of the length | Event protobuf | u32 masked CRC-32C of it
///
/// around `Event { double wall_time = 1; int64 step = 2; string file_version = 3;
/// Summary summary = 5 }`, `Summary { repeated Value value = 1 }` and
/// `Value { string tag = 1; float simple_value = 2 }`. The first record names the version.
public final class TensorBoardWriter {
    public let path: String
    private let handle: FileHandle

    /// Creates the folder if need be and a new event file in it.
    public init(directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "host"
        path = (directory as NSString).appendingPathComponent(
            "events.out.tfevents.\(Int(Date().timeIntervalSince1970)).\(host).\(ProcessInfo.processInfo.processIdentifier)")
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw RunOutputError(path: path, problem: "cannot create the TensorBoard event file")
        }
        self.handle = handle
        var event = Protobuf()
        event.double(1, Date().timeIntervalSince1970)
        event.string(3, "brain.Event:2")
        write(event.bytes)
    }

    deinit { try? handle.close() }

    /// One event holding `scalars` (tag -> value) at `step`, tags in sorted order.
    public func add(_ scalars: [String: Double], step: Int) {
        var summary = Protobuf()
        for (tag, value) in scalars.sorted(by: { $0.key < $1.key }) where value.isFinite {
            var v = Protobuf()
            v.string(1, tag)
            v.float(2, Float(value))
            summary.message(1, v)
        }
        var event = Protobuf()
        event.double(1, Date().timeIntervalSince1970)
        event.varint(2, UInt64(max(0, step)))
        event.message(5, summary)
        write(event.bytes)
    }

    /// An epoch's record: its loss, seconds and metrics, tagged by split (`train/loss`,
    /// `valid/ndcg@10`, `test/rmse`), at the epoch.
    public func add(_ record: EpochRecord) {
        var scalars = record.metrics.reduce(into: [String: Double]()) { $0["\(record.split)/\($1.key)"] = $1.value }
        if record.split != "test" {
            scalars["train/loss"] = record.loss
            scalars["train/seconds"] = record.trainSeconds
        }
        add(scalars, step: record.epoch)
    }

    private func write(_ data: [UInt8]) {
        var length = UInt64(data.count).littleEndian
        let lengthBytes = withUnsafeBytes(of: &length) { Array($0) }
        var record = lengthBytes
        Self.appendLittleEndian(CRC32C.masked(lengthBytes), to: &record)
        record += data
        Self.appendLittleEndian(CRC32C.masked(data), to: &record)
        handle.write(Data(record))
    }

    static func appendLittleEndian(_ v: UInt32, to bytes: inout [UInt8]) {
        for k in 0..<4 { bytes.append(UInt8((v >> (8 * UInt32(k))) & 0xFF)) }
    }
}

/// The few protobuf encodings an event needs.
struct Protobuf {
    private(set) var bytes: [UInt8] = []

    mutating func key(_ field: Int, _ wire: UInt64) { varintRaw(UInt64(field) << 3 | wire) }
    mutating func varintRaw(_ v: UInt64) {
        var v = v
        while v >= 0x80 { bytes.append(UInt8(v & 0x7F) | 0x80); v >>= 7 }
        bytes.append(UInt8(v))
    }
    mutating func varint(_ field: Int, _ v: UInt64) { key(field, 0); varintRaw(v) }
    mutating func double(_ field: Int, _ v: Double) {
        key(field, 1)
        for k in 0..<8 { bytes.append(UInt8((v.bitPattern >> (8 * UInt64(k))) & 0xFF)) }
    }
    mutating func float(_ field: Int, _ v: Float) {
        key(field, 5)
        for k in 0..<4 { bytes.append(UInt8((v.bitPattern >> (8 * UInt32(k))) & 0xFF)) }
    }
    mutating func bytes(_ field: Int, _ b: [UInt8]) { key(field, 2); varintRaw(UInt64(b.count)); bytes += b }
    mutating func string(_ field: Int, _ s: String) { bytes(field, Array(s.utf8)) }
    mutating func message(_ field: Int, _ m: Protobuf) { bytes(field, m.bytes) }
}
