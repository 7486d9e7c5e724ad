/// The envelope every Trellis message travels in: versioned, length-prefixed, checksummed.
///
/// ```
///  offset  size  field
///       0     4  magic "TRLS"
///       4     2  version (UInt16, currently 2: grants carry learning-rate plateaus and heartbeats a work count)
///       6     2  kind    (UInt16; the protocol layer names the values)
///       8     2  flags   (UInt16; meaning defined per kind)
///      10     4  header length H (UInt32)
///      14     4  body length B   (UInt32)
///      18     H  header bytes (small, structured: ids, step, shapes)
///    18+H     B  body bytes   (bulk: encoded tensors, row blocks)
///  18+H+B     4  CRC-32/IEEE of bytes 0 ..< 18+H+B
/// ```
/// All integers are little-endian. The checksum covers the fixed prefix as well as header
/// and body, so a flipped bit in `kind` or `flags` is caught too. `decode` accepts a buffer
/// only when its length is exactly what the length fields say.
public struct Frame: Sendable, Equatable {
    /// The version this build writes and the only one it reads.
    public static let currentVersion: UInt16 = 2
    /// "TRLS" as bytes.
    public static let magic: [UInt8] = Array("TRLS".utf8)
    /// Bytes before the header: magic, version, kind, flags and the two lengths.
    public static let prefixSize = 18
    /// Bytes after the body: the CRC.
    public static let trailerSize = 4
    /// The default ceiling on header length when decoding (headers are small by design).
    public static let defaultMaxHeaderBytes = 1 << 20

    /// Format version; `currentVersion` for frames built here.
    public var version: UInt16
    /// Message kind, a raw value the protocol layer interprets.
    public var kind: UInt16
    /// Per-kind flag bits.
    public var flags: UInt16
    /// Structured header bytes.
    public var header: [UInt8]
    /// Bulk body bytes.
    public var body: [UInt8]

    /// A frame of the current version.
    public init(kind: UInt16, flags: UInt16 = 0, header: [UInt8] = [], body: [UInt8] = []) {
        self.version = Frame.currentVersion
        self.kind = kind
        self.flags = flags
        self.header = header
        self.body = body
    }

    /// Total encoded size of this frame in bytes.
    public var encodedSize: Int { Frame.prefixSize + header.count + body.count + Frame.trailerSize }

    // MARK: Encoding

    /// The frame's bytes, ready to send.
    public func encode() -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: encodedSize) { buffer, initialised in
            write(into: UnsafeMutableRawBufferPointer(buffer))
            initialised = encodedSize
        }
    }

    /// Writes the frame's `encodedSize` bytes at the start of `buffer` (a socket's own message
    /// buffer, so a large body is copied once on its way out).
    public func write(into buffer: UnsafeMutableRawBufferPointer) {
        precondition(buffer.count >= encodedSize, "Frame.write: \(buffer.count) bytes for a frame of \(encodedSize)")
        var prefix = ByteWriter(capacity: Frame.prefixSize)
        prefix.raw(Frame.magic)
        prefix.u16(version)
        prefix.u16(kind)
        prefix.u16(flags)
        prefix.length(header.count)
        prefix.length(body.count)
        var at = 0
        for part in [prefix.bytes, header, body] {
            part.withUnsafeBytes { if $0.count > 0 { (buffer.baseAddress! + at).copyMemory(from: $0.baseAddress!, byteCount: $0.count) } }
            at += part.count
        }
        let crc = CRC32.checksum(UnsafeRawBufferPointer(rebasing: buffer[0..<at]))
        for i in 0..<Frame.trailerSize { buffer[at + i] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(i))) }
    }

    // MARK: Decoding

    /// Where a checked frame's header and body lie in its bytes, with its kind and flags.
    public struct Layout: Sendable, Equatable {
        public let kind: UInt16
        public let flags: UInt16
        public let header: Range<Int>
        public let body: Range<Int>
    }

    /// Parses and validates `bytes`: magic, version, header and body lengths against the
    /// limits, the total length (exactly), and the CRC. Throws `WireError`, never traps.
    public static func decode(_ bytes: [UInt8], maxBodyBytes: Int,
                              maxHeaderBytes: Int = Frame.defaultMaxHeaderBytes) throws -> Frame {
        let layout = try check(bytes, maxBodyBytes: maxBodyBytes, maxHeaderBytes: maxHeaderBytes)
        return Frame(kind: layout.kind, flags: layout.flags, header: Array(bytes[layout.header]), body: Array(bytes[layout.body]))
    }

    /// `decode`'s checks, without copying the header and body out: a reader of a frame of
    /// hundreds of MB (an assignment) reads it where it lies.
    public static func check(_ bytes: [UInt8], maxBodyBytes: Int,
                             maxHeaderBytes: Int = Frame.defaultMaxHeaderBytes) throws -> Layout {
        var r = ByteReader(bytes)
        let magic = try r.bytes("frame.magic", count: 4)
        guard magic == Frame.magic else {
            throw WireError.mismatch("frame.magic", expected: "\"TRLS\"", found: hex(magic))
        }
        let version = try r.u16("frame.version")
        guard version == currentVersion else {
            throw WireError.mismatch("frame.version", expected: "\(currentVersion)", found: "\(version)")
        }
        let kind = try r.u16("frame.kind")
        let flags = try r.u16("frame.flags")
        let headerLength = Int(try r.u32("frame.headerLength"))
        let bodyLength = Int(try r.u32("frame.bodyLength"))
        guard headerLength <= maxHeaderBytes else {
            throw WireError.outOfRange("frame.headerLength", what: "length", found: "\(headerLength)",
                                       allowed: "0...\(maxHeaderBytes)")
        }
        guard bodyLength <= maxBodyBytes else {
            throw WireError.outOfRange("frame.bodyLength", what: "length", found: "\(bodyLength)",
                                       allowed: "0...\(maxBodyBytes)")
        }
        // Both lengths come from UInt32, so this sum cannot overflow Int.
        let expected = prefixSize + headerLength + bodyLength + trailerSize
        guard bytes.count == expected else {
            if bytes.count < expected {
                throw WireError.truncated("frame", needed: expected - prefixSize, offset: prefixSize,
                                          available: bytes.count - prefixSize)
            }
            throw WireError(kind: .trailingBytes, field: "frame",
                            reason: "expected \(expected) bytes in all, found \(bytes.count)")
        }
        try r.skip("frame.header", count: headerLength)
        try r.skip("frame.body", count: bodyLength)
        let stored = try r.u32("frame.crc")
        try r.expectEnd("frame")
        let computed = bytes.withUnsafeBytes { CRC32.checksum(UnsafeRawBufferPointer(rebasing: $0[0..<(expected - trailerSize)])) }
        guard stored == computed else {
            throw WireError(kind: .checksum, field: "frame.crc",
                            reason: "expected \(hex32(computed)) (computed), found \(hex32(stored))")
        }
        let header = prefixSize..<(prefixSize + headerLength)
        return Layout(kind: kind, flags: flags, header: header, body: header.upperBound..<(header.upperBound + bodyLength))
    }

    // MARK: Internals

    private static func hex(_ bytes: [UInt8]) -> String {
        "0x" + bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    private static func hex32(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
    }
}
