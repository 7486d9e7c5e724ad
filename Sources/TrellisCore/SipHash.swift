/// SipHash-2-4 (Aumasson & Bernstein, 2012): a keyed 64-bit pseudorandom function, made for
/// authenticating short messages. Without the 128-bit key a peer cannot compute or guess the
/// tag of a message it has not seen tagged.
public struct SipHash: Sendable, Equatable {
    public let k0: UInt64
    public let k1: UInt64

    public init(k0: UInt64, k1: UInt64) {
        self.k0 = k0
        self.k1 = k1
    }

    /// A fresh key from the system's random source.
    public static func randomKey() -> SipHash {
        var g = SystemRandomNumberGenerator()
        return SipHash(k0: g.next(), k1: g.next())
    }

    /// The tag of `words` (each taken as 8 little-endian bytes).
    public func tag(_ words: [UInt64]) -> UInt64 {
        var v0: UInt64 = 0x736f6d6570736575 ^ k0
        var v1: UInt64 = 0x646f72616e646f6d ^ k1
        var v2: UInt64 = 0x6c7967656e657261 ^ k0
        var v3: UInt64 = 0x7465646279746573 ^ k1
        @inline(__always) func round() {
            v0 &+= v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32)
            v2 &+= v3; v3 = rotl(v3, 16); v3 ^= v2
            v0 &+= v3; v3 = rotl(v3, 21); v3 ^= v0
            v2 &+= v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32)
        }
        for m in words {
            v3 ^= m
            round(); round()
            v0 ^= m
        }
        // The final block holds only the length byte (the message is a whole number of words).
        let last = UInt64(truncatingIfNeeded: words.count * 8) << 56
        v3 ^= last
        round(); round()
        v0 ^= last
        v2 ^= 0xff
        round(); round(); round(); round()
        return v0 ^ v1 ^ v2 ^ v3
    }

    @inline(__always) private func rotl(_ x: UInt64, _ b: UInt64) -> UInt64 { (x << b) | (x >> (64 - b)) }
}
