/// Interns id fields straight from bytes into an `IDMap`, caching short ids by their bytes.
///
/// Most ids are short (`196`, `m.04ctbw8` is 9): packing up to 7 bytes plus the length into
/// a `UInt64` key skips building and hashing a `String` for every repeated occurrence.
struct TokenInterner {
    /// The map being extended; ids already in it keep their numbers.
    var map: IDMap
    private var shortIDs: [UInt64: Int32] = [:]

    init(_ map: IDMap) { self.map = map }

    /// The id of the token in `bytes`, interning it if new.
    @inline(__always)
    mutating func intern(_ bytes: UnsafeBufferPointer<UInt8>) -> Int32 {
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
}
