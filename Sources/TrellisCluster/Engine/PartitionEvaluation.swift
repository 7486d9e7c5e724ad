import TrellisGraph
import TrellisModels
import TrellisTensor
import TrellisTraining

/// Evaluation where the data is: each partition computes the outputs of the nodes it owns one
/// layer at a time, then scores its own users' held-out links; the sums merge in partition
/// order. A one-process run holds every partition; a cluster worker, its own.
///
///     for l in 0..<L:                                   (a barrier between layers)
///         for p: store[l+1][owned(p)] = layer l of owned(p)        chunks of <= 1024 targets per type
///     for p: sums[p] = task.evaluationSums(part, shares[p], store[L])
///     metrics = merge(sums[0], sums[1], ...) / counts
///
/// Layer 0 is the embedding tables, so a model without layers (MF) scores the tables. A
/// whole-graph model (LightGCN: sparse products over the whole graph) is not layer-wise: its
/// final outputs come from one full-graph forward (`TrainingRun.fullGraphOutputs`) put at
/// layer L, and only the scoring is per partition.
public struct PartitionEvaluation {
    public let book: PartitionBook
    /// The layer-wise computation; nil for a model that is not layer-wise.
    public let inference: LayerwiseInference?
    /// The layer the final outputs are at (the model's layer count).
    public let finalLayer: Int

    public init(model: SampledRecommender, relations: [GraphTopology.Relation], source: NeighbourSource, book: PartitionBook) {
        self.book = book
        inference = (model as? LayerwiseRecommender).map { LayerwiseInference(model: $0, relations: relations, source: source) }
        finalLayer = model.layerCount
    }

    /// Whether the final outputs come layer by layer from the partitions (not from one
    /// full-graph forward).
    public var isLayerwise: Bool { finalLayer == 0 || inference != nil }

    /// Computes layer `l` for the nodes `partition` owns and writes their layer-`l+1` rows.
    public func layer(_ l: Int, partition: Int, store: ActivationStore) throws {
        guard let inference else { throw PlanError("the model is not layer-wise: its outputs come from a full-graph forward") }
        let owned = book.owners.indices.map { book.nodes(type: $0, partition: partition) }
        try inference.layer(l, targets: owned, store: store)
    }

    /// `partition`'s metric sums of `part` from the final outputs in `store`.
    public func sums(_ part: EvaluationPart, share: EvaluationShare, task: TrainingTask, store: ActivationStore,
                     model: SampledRecommender) throws -> EvaluationSums {
        try task.evaluationSums(part, share: share, outputs: FinalOutputs(store: store, layer: finalLayer), model: model)
    }
}
