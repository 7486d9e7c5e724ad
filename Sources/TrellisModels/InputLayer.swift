import TrellisCore
import TrellisGraph
import TrellisTensor

/// What every model reads as a node's layer-0 row: its learned embedding, plus, where the
/// schema gives its type a frozen feature table, a learned projection of those features
/// (Linear without bias, `<type>.projection.weight`):
///
///     x_t = E_t[ids] + F_t[ids] · W_tᵀ        E_t (n_t, d) trainable, F_t (n_t, f) frozen, W_t (d, f)
///
/// The engine applies it before the model, so a model never knows whether features exist.
/// Tables are ordered as the engine's table list: one embedding per node type, then one
/// feature table per `schema.features` entry.
public final class InputLayer {
    /// Projection weights, in `schema.features` order (empty without features).
    public let parameters = ParameterStore()
    /// (feature table, its node type, projection) per feature table.
    let projections: [(table: Int, nodeType: Int, linear: Linear)]
    public let nodeTypeCount: Int

    public init(schema: GraphSchema, dimension: Int, seed: UInt64) {
        nodeTypeCount = schema.nodeTypes.count
        var rng = SeededGenerator(seed: seed, stream: [0x696E_7075])  // "inpu"
        let store = parameters
        projections = schema.features.enumerated().map { k, f in
            (schema.nodeTypes.count + k, f.nodeType,
             Linear(f.width, dimension, bias: false, parameters: store, name: "\(schema.nodeTypes[f.nodeType].name).projection", rng: &rng))
        }
    }

    /// Tables read: node types plus feature tables.
    public var tableCount: Int { nodeTypeCount + projections.count }

    /// Rows to pull per table for layer-0 nodes `nodes[t]` of each type.
    public func tableIDs(_ nodes: [[Int32]]) -> [[Int32]] {
        nodes + projections.map { nodes[$0.nodeType] }
    }

    /// Per table rows (as `tableIDs` asked) -> layer-0 rows per node type: (nodes_t, d).
    public func callAsFunction(_ rows: [Variable]) -> [Variable] {
        precondition(rows.count == tableCount, "InputLayer: \(rows.count) tables, expected \(tableCount)")
        var inputs = Array(rows.prefix(nodeTypeCount))
        for p in projections { inputs[p.nodeType] = inputs[p.nodeType] + p.linear(rows[p.table]) }
        return inputs
    }
}
