/// One relation's edges j -> i, indexed by destination and by source, for the fused
/// attention kernels (`Variable+Attention.swift`).
///
/// Edges arrive as (source, target) pairs in any order, repeats allowed. They are grouped by
/// destination (stable: input order within a destination), so a destination's softmax and sum
/// read one contiguous range of "positions"; a second grouping of those positions by source
/// lets backward add into source rows without two threads sharing a row.
///
/// ```
///  edge ids 0..<E  --(stable sort by target)-->  positions 0..<E
///  targetOffsets[i]..<targetOffsets[i+1]    positions of the edges into i
///  sourceOffsets[j]..<sourceOffsets[j+1]    entries of positionsBySource: edges out of j
/// ```
/// All six arrays live in one Int32 allocation (built once, read by every kernel).
public final class EdgeIndex: Sendable {
    /// Rows on the sending side (Ns) and on the receiving side (Nt).
    public let sourceCount: Int
    public let targetCount: Int
    /// Number of edges (E).
    public let edgeCount: Int
    /// [targetOffsets (Nt+1) | sourceOf, targetOf, edgeOf (E each, by position) |
    ///  sourceOffsets (Ns+1) | positionsBySource (E)]
    private let storage: [Int32]

    /// Indexes `sources[e] -> targets[e]`; every id must lie in its side's range.
    public init(sources: [Int32], targets: [Int32], sourceCount: Int, targetCount: Int) {
        precondition(sources.count == targets.count, "EdgeIndex: \(sources.count) sources for \(targets.count) targets")
        precondition(sourceCount >= 0 && targetCount >= 0, "EdgeIndex: negative node count")
        precondition(sources.count < Int(Int32.max), "EdgeIndex: \(sources.count) edges do not fit Int32 positions")
        for k in 0..<sources.count {
            precondition(sources[k] >= 0 && Int(sources[k]) < sourceCount, "EdgeIndex: edge \(k) source \(sources[k]) out of 0..<\(sourceCount)")
            precondition(targets[k] >= 0 && Int(targets[k]) < targetCount, "EdgeIndex: edge \(k) target \(targets[k]) out of 0..<\(targetCount)")
        }
        self.sourceCount = sourceCount
        self.targetCount = targetCount
        edgeCount = sources.count
        let (targetOffsets, edgeOf) = Self.countingSort(targets, buckets: targetCount)
        let sourceOf = edgeOf.map { sources[Int($0)] }
        let targetOf = edgeOf.map { targets[Int($0)] }
        let (sourceOffsets, bySource) = Self.countingSort(sourceOf, buckets: sourceCount)
        storage = targetOffsets + sourceOf + targetOf + edgeOf + sourceOffsets + bySource
    }

    /// Incoming edges of target `i`.
    public func inDegree(_ i: Int) -> Int { Int(storage[i + 1] - storage[i]) }

    /// Input edge ids in position order: edges into target 0 first, input order within one.
    public var edgesByTarget: [Int32] { byPosition(2) }
    /// Each position's source row.  // (E)
    public var sourcesByPosition: [Int32] { byPosition(0) }
    /// Each position's target row (non-decreasing).  // (E)
    public var targetsByPosition: [Int32] { byPosition(1) }

    /// The k-th per-position array of the storage.
    private func byPosition(_ k: Int) -> [Int32] {
        let start = targetCount + 1 + k * edgeCount
        return Array(storage[start..<(start + edgeCount)])
    }

    /// Stable counting sort of 0..<keys.count by key: (offsets (buckets + 1), order (keys.count)).
    private static func countingSort(_ keys: [Int32], buckets: Int) -> ([Int32], [Int32]) {
        var offsets = [Int32](repeating: 0, count: buckets + 1)
        for k in keys { offsets[Int(k) + 1] += 1 }
        for b in 0..<buckets { offsets[b + 1] += offsets[b] }
        var cursor = offsets
        var order = [Int32](repeating: 0, count: keys.count)
        for (n, k) in keys.enumerated() {
            order[Int(cursor[Int(k)])] = Int32(n)
            cursor[Int(k)] += 1
        }
        return (offsets, order)
    }
}

// MARK: - Raw access for kernels

extension EdgeIndex {
    /// The index arrays as pointers; valid only inside `withPointers`.
    struct Pointers {
        let targetOffsets: UnsafePointer<Int32>      // (Nt + 1)
        let sourceOf: UnsafePointer<Int32>           // (E) by position
        let targetOf: UnsafePointer<Int32>           // (E) by position
        let edgeOf: UnsafePointer<Int32>             // (E) by position
        let sourceOffsets: UnsafePointer<Int32>      // (Ns + 1)
        let positionsBySource: UnsafePointer<Int32>  // (E)
    }

    func withPointers<R>(_ body: (Pointers) -> R) -> R {
        storage.withUnsafeBufferPointer { b in
            let base = b.baseAddress!, e = edgeCount
            let sourceOf = base + targetCount + 1
            let sourceOffsets = sourceOf + 3 * e
            return body(Pointers(targetOffsets: base, sourceOf: sourceOf, targetOf: sourceOf + e, edgeOf: sourceOf + 2 * e,
                                 sourceOffsets: sourceOffsets, positionsBySource: sourceOffsets + sourceCount + 1))
        }
    }
}
