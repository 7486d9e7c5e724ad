/// The most-popular baseline: every user gets the same scores, each item's training
/// interaction count. A trained model that cannot beat it has learned nothing personal.
public struct PopularityRanker: Sendable {
    /// Training interactions per item, indexed by item id.
    public let counts: [Int]

    /// Counts `trainItems` (one item id per training interaction) over `itemCount` items.
    public init(trainItems: [Int32], itemCount: Int) {
        precondition(itemCount >= 0, "PopularityRanker: negative item count \(itemCount)")
        var counts = [Int](repeating: 0, count: itemCount)
        for item in trainItems {
            precondition(item >= 0 && Int(item) < itemCount, "PopularityRanker: item id \(item) outside 0..<\(itemCount)")
            counts[Int(item)] += 1
        }
        self.counts = counts
    }

    /// One score per item: its training count as a Float (exact up to 2^24 interactions per
    /// item; beyond that neighbouring counts may tie, which only affects tie order).
    public func scores() -> [Float] {
        counts.map { Float($0) }
    }
}
