import TrellisTensor

/// Where a step sits in the run: epoch (from 1) and step within the epoch (from 0).
public struct StepID: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var epoch: Int
    public var step: Int
    public init(epoch: Int, step: Int) {
        self.epoch = epoch
        self.step = step
    }
    /// Steps since the start of the run.
    public func global(stepsPerEpoch: Int) -> Int { (epoch - 1) * stepsPerEpoch + step }
    public static func < (a: StepID, b: StepID) -> Bool { (a.epoch, a.step) < (b.epoch, b.step) }
    public var description: String { "e\(epoch)s\(step)" }
}

/// One partition's gradient for one step: what a worker pushes.
public struct Contribution: Sendable, Equatable {
    public var step: StepID
    public var partition: Int
    /// One per table (table order); coalesced, ascending row ids.
    public var rows: [RowGradient]
    /// One per dense parameter (parameter order); nil where the step produced none.
    public var dense: [Tensor?]
    /// The partition's loss, already scaled by its share of the global step.
    public var loss: Float
    /// Triples in the partition's batch.
    public var triples: Int
    /// This partition's triples over the global step's (gradients are scaled by it).
    public var share: Float

    public init(step: StepID, partition: Int, rows: [RowGradient], dense: [Tensor?], loss: Float, triples: Int, share: Float) {
        self.step = step
        self.partition = partition
        self.rows = rows
        self.dense = dense
        self.loss = loss
        self.triples = triples
        self.share = share
    }

    /// An empty contribution (the partition had no links at this step).
    public static func empty(step: StepID, partition: Int, tables: [Int], denseCount: Int) -> Contribution {
        Contribution(step: step, partition: partition, rows: tables.map { RowGradient(dimension: $0) },
                     dense: Array(repeating: nil, count: denseCount), loss: 0, triples: 0, share: 0)
    }

    /// The step's books without its gradients: what the coordinator keeps when the gradients
    /// went elsewhere (the shards), or went nowhere (a diverged step).
    public var books: Contribution {
        var b = Contribution.empty(step: step, partition: partition, tables: rows.map(\.dimension), denseCount: dense.count)
        (b.loss, b.triples, b.share) = (loss, triples, share)
        return b
    }
}
