import TrellisCore
import TrellisData

/// Draws negatives uniformly from the items a user has not interacted with in training
/// (RecBole's uniform sampler): reject-and-redraw against the user's sorted item list.
public struct NegativeSampler: Sendable {
    public let positives: CSRMatrix

    public init(positives: CSRMatrix) { self.positives = positives }

    /// One negative for `user`. A user who has every item gets a random item (nothing else exists).
    @inline(__always)
    public func sample(for user: Int32, using rng: inout SeededGenerator) -> Int32 {
        let items = positives.columnCount
        let row = positives.row(Int(user))
        if row.count >= items { return Int32(rng.nextInt(below: items)) }
        while true {
            let candidate = Int32(rng.nextInt(below: items))
            if !Self.contains(row, candidate) { return candidate }
        }
    }

    @inline(__always)
    static func contains(_ sorted: ArraySlice<Int32>, _ value: Int32) -> Bool {
        var lo = sorted.startIndex, hi = sorted.endIndex
        while lo < hi {
            let mid = (lo + hi) / 2
            if sorted[mid] < value { lo = mid + 1 } else { hi = mid }
        }
        return lo < sorted.endIndex && sorted[lo] == value
    }
}
