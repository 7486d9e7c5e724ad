import TrellisGraph

/// A next-item batch: B windows of L positions, left-padded. Its seeds are the items it reads
/// (type 1; every item for a full softmax) and no users; each position names a row among them.
public struct SequenceBatch: TaskBatch {
    /// Item ids read, ascending: the rows the engine pulls.
    public var items: [Int32]
    /// (B·L) rows into `items` of each position's input, target, and sampled negative (bce);
    /// -1 where padded (negatives: empty for the softmax).
    public var inputs: [Int32]
    public var targets: [Int32]
    public var negatives: [Int32]
    /// Rows a sampled softmax scores every target against (the batch's targets and its drawn
    /// negatives, distinct); empty for the other losses.
    public var candidates: [Int32]
    /// Positions a window holds.
    public let length: Int
    /// Words of the batch's dropout stream (seed, partition, epoch, step).
    public let stream: [UInt64]

    public init(items: [Int32], inputs: [Int32], targets: [Int32], negatives: [Int32] = [], candidates: [Int32] = [],
                length: Int, stream: [UInt64]) {
        precondition(inputs.count == targets.count && inputs.count % length == 0 && (negatives.isEmpty || negatives.count == targets.count),
                     "SequenceBatch: \(inputs.count) inputs, \(targets.count) targets, \(negatives.count) negatives of length \(length)")
        self.items = items
        self.inputs = inputs
        self.targets = targets
        self.negatives = negatives
        self.candidates = candidates
        self.length = length
        self.stream = stream
    }

    public var count: Int { inputs.count / length }
    public var seeds: [[Int32]] { [[], items] }

    public func overWholeGraph(nodeCounts: [Int]) -> any TaskBatch {
        // Every item a seed, in id order: a row becomes its item's id.
        func global(_ rows: [Int32]) -> [Int32] { rows.map { $0 < 0 ? -1 : items[Int($0)] } }
        return SequenceBatch(items: (0..<Int32(nodeCounts[GraphTopology.item])).map { $0 }, inputs: global(inputs),
                             targets: global(targets), negatives: global(negatives), candidates: global(candidates),
                             length: length, stream: stream)
    }
}
