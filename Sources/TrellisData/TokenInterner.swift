/// Interns id fields straight from bytes into an `IDMap`, caching ids by their bytes.
///
/// Building and hashing a `String` for each of millions of repeated ids dominates loading,
/// so two caches sit in front of the map: canonical decimal ids below 2^24 (MovieLens,
/// most benchmarks) index a flat array, and other ids of up to 7 bytes are packed with
/// their length into a `UInt64` dictionary key. Longer ids go to the map directly.
struct TokenInterner {
    /// The map being extended; ids already in it keep their numbers.
    var map: IDMap
    private var numericIDs: [Int32] = []
    private var shortIDs: [UInt64: Int32] = [:]
    private static let numericLimit = 1 << 24

    init(_ map: IDMap) { self.map = map }

    /// The id of the token in `bytes`, interning it if new.
    @inline(__always)
    mutating func intern(_ bytes: UnsafeBufferPointer<UInt8>) -> Int32 {
        if let value = Self.canonicalDecimal(bytes) {
            if value < numericIDs.count, numericIDs[value] >= 0 { return numericIDs[value] }
            let id = map.intern(String(decoding: bytes, as: UTF8.self))
            if value >= numericIDs.count {
                let size = min(Self.numericLimit, max(value + 1, numericIDs.count * 2, 1024))
                numericIDs.append(contentsOf: repeatElement(-1, count: size - numericIDs.count))
            }
            numericIDs[value] = id
            return id
        }
        if bytes.count <= 7 {
            var key = UInt64(bytes.count) << 56
            for k in 0..<bytes.count { key |= UInt64(bytes[k]) << (8 * UInt64(k)) }
            if let id = shortIDs[key] { return id }
            let id = map.intern(String(decoding: bytes, as: UTF8.self))
            shortIDs[key] = id
            return id
        }
        return map.intern(String(decoding: bytes, as: UTF8.self))
    }

    /// The value of a decimal id without sign or leading zeros ("0" allowed) below the
    /// array limit; such spellings are one-to-one with their values, so the value can
    /// stand in for the text.
    @inline(__always)
    private static func canonicalDecimal(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        guard !bytes.isEmpty, bytes.count <= 8, bytes[0] != 0x30 || bytes.count == 1 else { return nil }
        var value = 0
        for byte in bytes {
            guard byte >= 0x30 && byte <= 0x39 else { return nil }
            value = value * 10 + Int(byte - 0x30)
        }
        return value < numericLimit ? value : nil
    }
}
