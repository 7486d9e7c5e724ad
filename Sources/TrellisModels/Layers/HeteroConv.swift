import TrellisGraph
import TrellisTensor

/// One convolution per relation, their outputs combined per destination node type, as PyG's
/// `HeteroConv`:
///
///     out[t] = aggregate_{r : target(r) = t} conv_r(x[source(r)], x[t][..<Nt_r], edges_r)
///
/// Targets are the first rows of their type's input (a sampled block lists the next layer's
/// nodes first; a full graph uses every row), so one call serves both.
public final class HeteroConv {
    /// How outputs of relations into the same node type are combined (PyG's `aggr`).
    public enum Aggregation: String, Sendable, CaseIterable { case sum, mean, max }

    public let relations: [GraphTopology.Relation]
    public let convolutions: [RelationConv]
    public let aggregation: Aggregation

    /// `convolutions[r]` serves `relations[r]`; those into one node type must agree on width.
    public init(relations: [GraphTopology.Relation], convolutions: [RelationConv], aggregation: Aggregation = .sum) {
        precondition(relations.count == convolutions.count, "HeteroConv: \(convolutions.count) convolutions for \(relations.count) relations")
        for (r, relation) in relations.enumerated() {
            for (q, other) in relations.enumerated() where other.target == relation.target {
                precondition(convolutions[q].outputWidth == convolutions[r].outputWidth,
                             "HeteroConv: \(relation.name) and \(other.name) send rows of different widths into one node type")
            }
        }
        self.relations = relations
        self.convolutions = convolutions
        self.aggregation = aggregation
    }

    /// x[t]: (N_t, width_t) per node type; edges[r] (and edgeFeatures[r], (E_r, F)) per
    /// relation. Returns per node type (Nt, width), or nil for a type no relation sends to.
    public func callAsFunction(_ x: [Variable], edges: [EdgeIndex], edgeFeatures: [Variable?]? = nil) -> [Variable?] {
        precondition(edges.count == relations.count, "HeteroConv: \(edges.count) edge sets for \(relations.count) relations")
        precondition(edgeFeatures.map { $0.count == relations.count } ?? true, "HeteroConv: one edge feature entry per relation")
        var outputs = [[Variable]](repeating: [], count: x.count)
        for (r, relation) in relations.enumerated() {
            let targetCount = edges[r].targetCount
            precondition(outputs[relation.target].isEmpty || outputs[relation.target][0].shape[0] == targetCount,
                         "HeteroConv: relations into node type \(relation.target) disagree on its target count")
            let target = x[relation.target].shape[0] == targetCount
                ? x[relation.target] : x[relation.target].slice(axis: 0, start: 0, count: targetCount)
            outputs[relation.target].append(convolutions[r](source: x[relation.source], target: target, edges: edges[r],
                                                            edgeFeatures: edgeFeatures?[r] ?? nil))
        }
        return outputs.map { parts in parts.isEmpty ? nil : combine(parts) }
    }

    /// Relation outputs (Nt, W) each -> (Nt, W).
    private func combine(_ parts: [Variable]) -> Variable {
        if parts.count == 1 { return parts[0] }
        switch aggregation {
        case .sum: return parts.dropFirst().reduce(parts[0], +)
        case .mean: return parts.dropFirst().reduce(parts[0], +) * (1 / Float(parts.count))
        case .max:
            let stacked = Variable.concat(parts.map { $0.reshaped([1] + $0.shape) }, axis: 0)  // (R, Nt, W)
            return stacked.max(axis: 0)
        }
    }

    /// Layer l of a sampled subgraph: x[t] holds the rows of nodes[l][t]; returns the rows
    /// of nodes[l + 1][t] (nil for a type no relation sends to).
    public func callAsFunction(_ g: SampledSubgraph, layer l: Int, _ x: [Variable], edgeFeatures: [Variable?]? = nil) -> [Variable?] {
        let edges = relations.enumerated().map { r, relation in EdgeIndex(g, layer: l, relation: r, relation) }
        return self(x, edges: edges, edgeFeatures: edgeFeatures)
    }
}
