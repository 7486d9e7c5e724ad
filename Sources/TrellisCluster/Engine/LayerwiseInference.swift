import TrellisGraph
import TrellisModels
import TrellisTensor

/// Every node's output of a layer-wise model, computed as PyG's `inference` does: one layer
/// at a time over all nodes, each layer in chunks of targets with all their in-neighbours.
///
///     h0 = tables
///     for l in layers: for each chunk (up to `chunk` targets of every type):
///         block = the chunk's targets <- all their senders     (one hop, fanout -1)
///         h{l+1}[chunk] = model.layer(l, block, h{l}[senders])
///
/// What it holds is node-sized (two layers of rows) plus one chunk's block and activations;
/// a full-graph forward instead holds every layer's per-edge activations at once.
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

    /// tables[t]: (count_t, d) layer-0 rows -> every node's final output per type.
    public func outputs(tables: [Tensor]) throws -> [Tensor] {
        let counts = tables.map { $0.shape[0] }
        let blocks = SubgraphSampler(relations: relations, nodeTypeCount: counts.count, fanouts: relations.map { _ in [-1] })
        // Chunk k takes slice k of every type, so every type has targets in every chunk.
        let chunks = max(1, ((counts.max() ?? 0) + chunk - 1) / chunk)
        var h = tables
        for l in 0..<model.layerCount {
            var next: [Tensor?] = counts.map { _ in nil }
            for k in 0..<chunks {
                let seeds = counts.map { n -> [Int32] in
                    let size = (n + chunks - 1) / chunks
                    return (min(n, k * size)..<min(n, (k + 1) * size)).map { Int32($0) }
                }
                // fanout -1 draws nothing at random: the tag does not matter.
                let block = try blocks.sample(seeds: seeds, source: source, seed: 0, epoch: 0, step: 0)
                let inputs = zip(h, block.nodes[0]).map { Variable($0.rows($1)) }   // (senders_t, d_l)
                let out = model.layer(l, block, inputs: inputs)                      // (seeds_t, d_l+1)
                for (t, rows) in out.enumerated() where !seeds[t].isEmpty {
                    let width = rows.shape[1]
                    if next[t] == nil { next[t] = Tensor(shape: [counts[t], width]) }
                    let start = Int(seeds[t][0]) * width
                    next[t]!.data.replaceSubrange(start..<(start + rows.value.count), with: rows.value.data)
                }
            }
            h = next.enumerated().map { t, tensor in tensor ?? Tensor(shape: [counts[t], h[t].shape[1]]) }
        }
        return h
    }
}
