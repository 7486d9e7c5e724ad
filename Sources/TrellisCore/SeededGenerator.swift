/// The one random number generator Trellis uses: xoshiro256** seeded through SplitMix64.
///
/// Every random choice in Trellis (initialisation, negative sampling, shuffling, splits,
/// dropout) draws from a `SeededGenerator`, so a run is a pure function of its seed. Streams
/// derived with `init(seed:stream:)` let independent parties (rank r, epoch e, step s) draw
/// the same numbers no matter which process runs them.
public struct SeededGenerator: RandomNumberGenerator, Sendable, Equatable {
    /// The four 64-bit words of xoshiro256** state (`stateWords` exports them for checkpoints);
    /// visible to inlined code so `next()` inlines into hot loops (dropout masks) elsewhere.
    @usableFromInline var state: (UInt64, UInt64, UInt64, UInt64)

    /// A generator for `seed`.
    public init(seed: UInt64) {
        var mixer = seed
        state = (Self.splitMix(&mixer), Self.splitMix(&mixer), Self.splitMix(&mixer), Self.splitMix(&mixer))
    }

    /// A generator for the stream named by `stream` under `seed`, e.g. `[rank, epoch, step]`.
    /// Different streams give statistically independent sequences.
    public init(seed: UInt64, stream: [UInt64]) {
        var mixer = seed
        for word in stream { Self.mix(&mixer, word) }
        self.init(seed: mixer)
    }

    /// The generator of `stream` [a, b, c, d, e, f] without building the array: what a hot
    /// loop (a neighbour draw per node) uses; equal to `init(seed:stream:)` of those words.
    public init(seed: UInt64, streamWords a: UInt64, _ b: UInt64, _ c: UInt64, _ d: UInt64, _ e: UInt64, _ f: UInt64) {
        var mixer = seed
        Self.mix(&mixer, a); Self.mix(&mixer, b); Self.mix(&mixer, c)
        Self.mix(&mixer, d); Self.mix(&mixer, e); Self.mix(&mixer, f)
        self.init(seed: mixer)
    }

    /// One stream word folded into the seed.
    @inline(__always)
    private static func mix(_ mixer: inout UInt64, _ word: UInt64) {
        mixer = splitMix(&mixer) ^ (word &* 0x9E37_79B9_7F4A_7C15)
    }

    /// Restores a generator from `stateWords` (four words, as in `stateWords`).
    public init?(stateWords: [UInt64]) {
        guard stateWords.count == 4, stateWords.contains(where: { $0 != 0 }) else { return nil }
        state = (stateWords[0], stateWords[1], stateWords[2], stateWords[3])
    }

    /// The state as four words, for checkpoints.
    public var stateWords: [UInt64] { [state.0, state.1, state.2, state.3] }

    public static func == (lhs: SeededGenerator, rhs: SeededGenerator) -> Bool {
        lhs.stateWords == rhs.stateWords
    }

    // MARK: Drawing

    @inlinable
    public mutating func next() -> UInt64 {
        let result = rotl(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = rotl(state.3, 45)
        return result
    }

    /// Uniform in [0, 1) with 24 bits of precision.
    @inline(__always)
    public mutating func nextFloat() -> Float {
        Float(next() >> 40) * (1.0 / 16_777_216.0)
    }

    /// Uniform in [0, 1) with 53 bits of precision.
    @inline(__always)
    public mutating func nextDouble() -> Double {
        Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// Uniform integer in `0..<bound` (Lemire's multiply-shift; bias below 2^-32 for our sizes).
    @inline(__always)
    public mutating func nextInt(below bound: Int) -> Int {
        precondition(bound > 0, "nextInt(below:) needs a positive bound")
        let product = (next() >> 32) &* UInt64(bound)
        return Int(product >> 32)
    }

    /// A standard normal draw (Box-Muller).
    public mutating func nextNormal() -> Float {
        var u1 = nextDouble()
        while u1 <= Double.leastNormalMagnitude { u1 = nextDouble() }
        let u2 = nextDouble()
        return Float((-2.0 * _log(u1)).squareRoot() * _cos(2.0 * Double.pi * u2))
    }

    /// Shuffles `array` (or a slice of one) in place (Fisher-Yates), deterministically for
    /// this generator.
    @inlinable  // specialised where it is called: a generic swapAt costs a value-witness call per swap
    public mutating func shuffle<C: MutableCollection & RandomAccessCollection>(_ array: inout C) where C.Index == Int {
        guard array.count > 1 else { return }
        let first = array.startIndex
        for i in stride(from: array.count - 1, to: 0, by: -1) {
            let j = nextInt(below: i + 1)
            if i != j { array.swapAt(first + i, first + j) }
        }
    }

    // MARK: Internals

    @inlinable @inline(__always)
    func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    private static func splitMix(_ x: inout UInt64) -> UInt64 {
        x &+= 0x9E37_79B9_7F4A_7C15
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

#if canImport(Glibc)
import Glibc
@inline(__always) private func _log(_ x: Double) -> Double { Glibc.log(x) }
@inline(__always) private func _cos(_ x: Double) -> Double { Glibc.cos(x) }
#else
import Darwin
@inline(__always) private func _log(_ x: Double) -> Double { Darwin.log(x) }
@inline(__always) private func _cos(_ x: Double) -> Double { Darwin.cos(x) }
#endif
