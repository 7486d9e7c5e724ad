import TrellisEval

// MARK: Deterministic randomness

/// A 64-bit linear congruential generator (Knuth's MMIX constants): deterministic across
/// platforms and independent of TrellisCore, so these tests pin down only TrellisEval.
struct LCG {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        // The high bits of an LCG are the well-mixed ones.
        return state >> 33
    }

    /// Uniform in 0..<bound.
    mutating func next(below bound: Int) -> Int { Int(next() % UInt64(bound)) }
}

// MARK: Reference ranking

/// The top `k` by a plain full sort: score descending, NaN last, ties by lower id.
/// Deliberately naive: it is the oracle the heap selection is checked against.
func referenceTopK(_ k: Int, scores: [Float], exclude: [Int32]) -> [Int32] {
    let excluded = Set(exclude)
    let candidates = (0..<scores.count).map(Int32.init).filter { !excluded.contains($0) }
    let sorted = candidates.sorted { a, b in
        let sa = scores[Int(a)], sb = scores[Int(b)]
        switch (sa.isNaN, sb.isNaN) {
        case (true, true): return a < b
        case (true, false): return false
        case (false, true): return true
        case (false, false): return sa != sb ? sa > sb : a < b
        }
    }
    return Array(sorted.prefix(k))
}

/// `TopKSelector.topK` over an array, for brevity in tests.
func topK(_ k: Int, _ scores: [Float], exclude: [Int32] = []) -> [Int32] {
    scores.withUnsafeBufferPointer { TopKSelector.topK(k, scores: $0, exclude: exclude[...]) }
}

extension RankingMetrics {
    /// `addUser` over arrays, for brevity in tests.
    mutating func add(_ scores: [Float], exclude: [Int32] = [], positives: [Int32]) {
        scores.withUnsafeBufferPointer { addUser(scores: $0, exclude: exclude, positives: positives) }
    }
}
