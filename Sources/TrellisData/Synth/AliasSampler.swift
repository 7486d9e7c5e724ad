import TrellisCore

/// Draws index k with probability weights[k] / sum(weights) in O(1) per draw (Walker's alias
/// method, Vose's construction): each slot holds its own share and an alias for the rest.
public struct AliasSampler: Sendable {
    private let share: [Double]
    private let alias: [Int32]

    /// `weights` must be non-negative with a positive sum.
    public init(weights: [Double]) {
        let n = weights.count
        precondition(n > 0 && n <= Int(Int32.max), "AliasSampler: 1 to 2^31-1 weights")
        let total = weights.reduce(0, +)
        precondition(total > 0 && total.isFinite, "AliasSampler: weights must have a positive, finite sum")
        var scaled = weights.map { $0 * Double(n) / total }
        var share = [Double](repeating: 1, count: n), alias = [Int32](repeating: 0, count: n)
        var small: [Int] = [], large: [Int] = []
        for (k, w) in scaled.enumerated() { if w < 1 { small.append(k) } else { large.append(k) } }
        while let s = small.popLast(), let l = large.last {
            share[s] = scaled[s]
            alias[s] = Int32(l)
            scaled[l] -= 1 - scaled[s]
            if scaled[l] < 1 { large.removeLast(); small.append(l) }
        }
        // Left over by rounding: their share is 1.
        self.share = share
        self.alias = (0..<n).map { share[$0] < 1 ? alias[$0] : Int32($0) }
    }

    public var count: Int { share.count }

    public func draw(using rng: inout SeededGenerator) -> Int {
        let slot = rng.nextInt(below: share.count)
        return rng.nextDouble() < share[slot] ? slot : Int(alias[slot])
    }
}
