import TrellisCore
import TrellisGraph
import TrellisModels
import TrellisTensor

/// A layer-wise model's outputs computed as PyG's `inference` does: one layer at a time, each
/// layer in chunks of targets with all their in-neighbours, reading the previous layer's rows
/// from an `ActivationStore` and writing the targets' rows back.
///
///     h0 = tables
///     for l in layers: for each chunk (up to `chunk` targets of every type):
///         block = the chunk's targets <- all their senders     (one hop, fanout -1)
///         h{l+1}[chunk] = model.layer(l, block, h{l}[senders])
///
/// What it holds is one chunk's block and activations; a full-graph forward instead holds
/// every layer's per-edge activations at once. `PartitionEvaluation` runs it per partition
/// over the nodes the partition owns.
public struct LayerwiseInference {
    public let model: LayerwiseRecommender
    public let relations: [GraphTopology.Relation]
    public let source: NeighbourSource
    /// Targets per node type in one chunk.
    public let chunk: Int

    public init(model: LayerwiseRecommender, relations: [GraphTopology.Relation], source: NeighbourSource, chunk: Int = 1024) {
        precondition(chunk >= 1, "LayerwiseInference: chunk must be at least 1")
        self.model = model
        self.relations = relations
        self.source = source
        self.chunk = chunk
    }

    /// Computes layer `l` for `targets[t]` (node ids of type t) from the layer-`l` rows in
    /// `store`, and writes their layer-`l+1` rows there.
    public func layer(_ l: Int, targets: [[Int32]], store: ActivationStore) throws {
        let blocks = SubgraphSampler(relations: relations, nodeTypeCount: targets.count, fanouts: relations.map { _ in [-1] })
        // Chunk k takes slice k of every type, so every type has targets in every chunk.
        let chunks = max(1, ((targets.map(\.count).max() ?? 0) + chunk - 1) / chunk)
        for k in 0..<chunks {
            let seeds = targets.map { ids -> [Int32] in
                let size = (ids.count + chunks - 1) / chunks
                return Array(ids[min(ids.count, k * size)..<min(ids.count, (k + 1) * size)])
            }
            // fanout -1 draws nothing at random: the tag does not matter.
            let block = try blocks.sample(seeds: seeds, source: source, seed: 0, epoch: 0, step: 0)
            let inputs = try block.nodes[0].enumerated().map { t, senders in
                Variable(try store.rows(layer: l, type: t, ids: senders))        // (senders_t, d_l)
            }
            let out = model.layer(l, block, inputs: inputs)                        // (seeds_t, d_l+1)
            for (t, rows) in out.enumerated() where !seeds[t].isEmpty {
                try store.write(layer: l + 1, type: t, ids: seeds[t], rows: rows.value)
            }
            WorkProgress.advance()
        }
    }

    /// tables[t]: (count_t, d) layer-0 rows -> every node's final output per type (every
    /// node a target, in one process).
    public func outputs(tables: [Tensor]) throws -> [Tensor] {
        let store = LocalActivations(tables: tables)
        let everyNode = tables.map { t in (0..<Int32(t.shape[0])).map { $0 } }
        for l in 0..<model.layerCount { try layer(l, targets: everyNode, store: store) }
        return try tables.indices.map { try store.whole(layer: model.layerCount, type: $0) }
    }
}
