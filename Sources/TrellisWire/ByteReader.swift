/// Reads little-endian fields from untrusted bytes, checking every bound.
///
/// Each read names the field it is reading (`try r.u32("header.count")`), so a short or
/// malformed message throws a `WireError` that says which field broke and where. Nothing
/// is allocated from a length that has not first been checked against both the bytes that
/// remain and a limit the caller passes in: a peer claiming a 4 GB blob gets an error, not an
/// allocation.
public struct ByteReader: Sendable {
    /// The bytes being read; only `start..<end` belongs to this reader.
    @usableFromInline let storage: [UInt8]
    /// First index of this reader's window in `storage`.
    @usableFromInline let start: Int
    /// One past the last index of this reader's window.
    @usableFromInline let end: Int
    /// Absolute index of the next unread byte.
    @usableFromInline var cursor: Int
    /// Bytes that decoded blocks (values, LZ4-inflated ids) may still produce from this
    /// reader: a compressed block declares its decoded size, and a small frame must not be
    /// able to declare gigabytes. Codecs `spend` from it before they allocate.
    public var decodeBudget = Int.max

    /// A reader over all of `bytes`.
    public init(_ bytes: [UInt8]) {
        self.init(bytes, range: 0..<bytes.count)
    }

    /// A reader over `bytes[range]`; offsets in errors count from `range.lowerBound`.
    public init(_ bytes: [UInt8], range: Range<Int>) {
        precondition(range.lowerBound >= 0 && range.upperBound <= bytes.count,
                     "ByteReader: range \(range) outside 0..<\(bytes.count)")
        storage = bytes
        start = range.lowerBound
        end = range.upperBound
        cursor = range.lowerBound
    }

    // MARK: Position

    /// Bytes read so far, counted from the start of this reader's window.
    public var offset: Int { cursor - start }

    /// Bytes not yet read.
    public var remaining: Int { end - cursor }

    /// True when every byte has been read.
    public var isAtEnd: Bool { cursor == end }

    /// Throws unless every byte has been read; `field` names the message that should end here.
    public func expectEnd(_ field: String) throws {
        guard remaining == 0 else {
            throw WireError(kind: .trailingBytes, field: field,
                            reason: "expected end of input at offset \(offset), found \(remaining) more bytes")
        }
    }

    /// Reserves the next `count` bytes for `field` and returns their absolute start index.
    @inline(__always)
    mutating func take(_ field: String, _ count: Int) throws -> Int {
        guard count >= 0 else {
            throw WireError.outOfRange(field, what: "byte count", found: "\(count)", allowed: "0...")
        }
        guard count <= remaining else {
            throw WireError.truncated(field, needed: count, offset: offset, available: remaining)
        }
        let at = cursor
        cursor += count
        return at
    }

    /// Skips `count` bytes of `field`.
    public mutating func skip(_ field: String, count: Int) throws {
        _ = try take(field, count)
    }

    // MARK: Scalars

    /// Reads one byte.
    public mutating func u8(_ field: String) throws -> UInt8 {
        storage[try take(field, 1)]
    }

    /// Reads a little-endian UInt16.
    public mutating func u16(_ field: String) throws -> UInt16 {
        UInt16(littleEndian: try scalar(field))
    }

    /// Reads a little-endian UInt32.
    public mutating func u32(_ field: String) throws -> UInt32 {
        UInt32(littleEndian: try scalar(field))
    }

    /// Reads a little-endian UInt64.
    public mutating func u64(_ field: String) throws -> UInt64 {
        UInt64(littleEndian: try scalar(field))
    }

    /// Reads a little-endian Int32.
    public mutating func i32(_ field: String) throws -> Int32 {
        Int32(littleEndian: try scalar(field))
    }

    /// Reads a little-endian IEEE Float.
    public mutating func f32(_ field: String) throws -> Float {
        Float(bitPattern: try u32(field))
    }

    /// Reads a little-endian IEEE Double.
    public mutating func f64(_ field: String) throws -> Double {
        Double(bitPattern: try u64(field))
    }

    /// Reads a UInt32 count and checks it is at most `max` (a limit the caller trusts).
    public mutating func count(_ field: String, max: Int) throws -> Int {
        let value = Int(try u32(field))
        guard value <= max else {
            throw WireError.outOfRange(field, what: "count", found: "\(value)", allowed: "0...\(max)")
        }
        return value
    }

    /// Takes `bytes` from `decodeBudget`, or throws when the budget cannot cover them.
    public mutating func spend(_ field: String, bytes: Int) throws {
        guard bytes >= 0, bytes <= decodeBudget else {
            throw WireError.outOfRange(field, what: "decoded size", found: "\(bytes) bytes", allowed: "at most \(decodeBudget) more in this frame")
        }
        decodeBudget -= bytes
    }

    // MARK: Byte runs

    /// Reads the next `count` bytes as an array.
    public mutating func bytes(_ field: String, count: Int) throws -> [UInt8] {
        let at = try take(field, count)
        return Array(storage[at..<(at + count)])
    }

    /// Calls `body` with the next `count` bytes in place, without copying them.
    public mutating func withBytes<R>(_ field: String, count: Int,
                                      _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        let at = try take(field, count)
        return try storage.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[at..<(at + count)])) }
    }

    /// Reads a UInt32 byte count (at most `maxBytes`), then that many bytes.
    public mutating func readBlob(_ field: String, maxBytes: Int) throws -> [UInt8] {
        let length = try blobLength(field, maxBytes: maxBytes)
        return try bytes(field, count: length)
    }

    /// Reads a UInt32 byte count (at most `maxBytes`), then that many bytes of valid UTF-8.
    public mutating func readString(_ field: String, maxBytes: Int) throws -> String {
        let raw = try readBlob(field, maxBytes: maxBytes)
        let text = String(decoding: raw, as: UTF8.self)
        // Decoding repairs invalid sequences; a repaired string no longer matches its bytes.
        guard text.utf8.elementsEqual(raw) else {
            throw WireError.mismatch(field, expected: "valid UTF-8", found: "\(raw.count) bytes that are not")
        }
        return text
    }

    // MARK: Bulk arrays

    /// Reads `count` little-endian Floats; the size is checked before anything is allocated.
    public mutating func floats(_ field: String, count: Int) throws -> [Float] {
        try bulk(field, count: count, as: Float.self) { Float(bitPattern: UInt32(littleEndian: $0.bitPattern)) }
    }

    /// Reads `count` little-endian Int32s; the size is checked before anything is allocated.
    public mutating func int32s(_ field: String, count: Int) throws -> [Int32] {
        try bulk(field, count: count, as: Int32.self) { Int32(littleEndian: $0) }
    }

    // MARK: Internals

    @inline(__always)
    private mutating func scalar<T: FixedWidthInteger>(_ field: String) throws -> T {
        let size = MemoryLayout<T>.size
        let at = try take(field, size)
        return storage.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at, as: T.self) }
    }

    private mutating func blobLength(_ field: String, maxBytes: Int) throws -> Int {
        let length = Int(try u32(field + ".length"))
        guard length <= maxBytes else {
            throw WireError.outOfRange(field, what: "length", found: "\(length)", allowed: "0...\(maxBytes)")
        }
        guard length <= remaining else {
            throw WireError.truncated(field, needed: length, offset: offset, available: remaining)
        }
        return length
    }

    /// Reads `count` 4-byte elements; `count * 4` is compared by division so it cannot overflow.
    private mutating func bulk<T>(_ field: String, count: Int, as: T.Type,
                                  _ fromLittleEndian: (T) -> T) throws -> [T] {
        guard count >= 0, count <= remaining / 4 else {
            throw WireError.truncated(field, needed: count.multipliedReportingOverflow(by: 4).partialValue,
                                      offset: offset, available: remaining)
        }
        let at = try take(field, count * 4)
        let out = [T](unsafeUninitializedCapacity: count) { buffer, initialised in
            storage.withUnsafeBytes { src in
                UnsafeMutableRawBufferPointer(buffer).copyMemory(from: UnsafeRawBufferPointer(rebasing: src[at..<(at + count * 4)]))
            }
            initialised = count
        }
        #if _endian(little)
        return out
        #else
        return out.map(fromLittleEndian)
        #endif
    }
}
