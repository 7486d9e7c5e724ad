/// Builds a little-endian byte buffer, field by field.
///
/// The writer never fails: sizes are the sender's own, so they are checked with
/// preconditions. Everything a reader might distrust (lengths, counts) is written explicitly
/// so `ByteReader` can check it before allocating.
public struct ByteWriter: Sendable {
    /// The bytes written so far.
    public private(set) var bytes: [UInt8]

    /// An empty writer with room for `capacity` bytes before it reallocates.
    public init(capacity: Int = 0) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Number of bytes written so far.
    public var count: Int { bytes.count }

    /// Makes room for `additional` more bytes. Grows at least geometrically: Array's
    /// `reserveCapacity` allocates exactly what it is asked for, so a message of many tensors,
    /// each reserving its own size, would copy everything before it once per tensor.
    public mutating func reserve(_ additional: Int) {
        let needed = bytes.count + additional
        guard needed > bytes.capacity else { return }
        bytes.reserveCapacity(max(needed, 2 * bytes.capacity))
    }

    // MARK: Scalars

    /// Appends one byte.
    public mutating func u8(_ value: UInt8) { bytes.append(value) }

    /// Appends a little-endian UInt16.
    public mutating func u16(_ value: UInt16) { appendScalar(value.littleEndian) }

    /// Appends a little-endian UInt32.
    public mutating func u32(_ value: UInt32) { appendScalar(value.littleEndian) }

    /// Appends a little-endian UInt64.
    public mutating func u64(_ value: UInt64) { appendScalar(value.littleEndian) }

    /// Appends a little-endian Int32 (two's complement).
    public mutating func i32(_ value: Int32) { appendScalar(value.littleEndian) }

    /// Appends a Float as its little-endian IEEE bits.
    public mutating func f32(_ value: Float) { appendScalar(value.bitPattern.littleEndian) }

    /// Appends a Double as its little-endian IEEE bits.
    public mutating func f64(_ value: Double) { appendScalar(value.bitPattern.littleEndian) }

    /// Appends a length that must fit a UInt32 (a frame never carries more).
    public mutating func length(_ value: Int) {
        precondition(value >= 0 && value <= Int(UInt32.max), "ByteWriter: length \(value) does not fit UInt32")
        u32(UInt32(value))
    }

    // MARK: Byte runs

    /// Appends `raw` as is, with no length prefix.
    public mutating func raw(_ raw: [UInt8]) { bytes.append(contentsOf: raw) }

    /// Appends the bytes of `buffer` as is, with no length prefix.
    public mutating func raw(_ buffer: UnsafeRawBufferPointer) { bytes.append(contentsOf: buffer) }

    /// Appends `count` bytes that `fill` writes in place (it must write all of them).
    public mutating func append(count: Int, _ fill: (UnsafeMutableRawBufferPointer) -> Void) {
        let at = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: count))
        bytes.withUnsafeMutableBytes { fill(UnsafeMutableRawBufferPointer(rebasing: $0[at..<(at + count)])) }
    }

    /// Appends a UInt32 byte count, then `blob`.
    public mutating func blob(_ blob: [UInt8]) {
        length(blob.count)
        raw(blob)
    }

    /// Appends a UInt32 byte count, then the UTF-8 bytes of `string`.
    public mutating func string(_ string: String) {
        blob(Array(string.utf8))
    }

    // MARK: Bulk arrays

    /// Appends `values` as consecutive little-endian Floats (no count; write one first).
    public mutating func floats(_ values: [Float]) {
        #if _endian(little)
        values.withUnsafeBytes { bytes.append(contentsOf: $0) }
        #else
        reserve(values.count * 4)
        for v in values { f32(v) }
        #endif
    }

    /// Appends `values` as consecutive little-endian Int32s (no count; write one first).
    public mutating func int32s(_ values: [Int32]) {
        #if _endian(little)
        values.withUnsafeBytes { bytes.append(contentsOf: $0) }
        #else
        reserve(values.count * 4)
        for v in values { i32(v) }
        #endif
    }

    // MARK: Internals

    @inline(__always)
    private mutating func appendScalar<T: FixedWidthInteger>(_ littleEndian: T) {
        withUnsafeBytes(of: littleEndian) { bytes.append(contentsOf: $0) }
    }
}
