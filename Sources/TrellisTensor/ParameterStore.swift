import TrellisCore

/// A model's trainable state: dense parameters and embedding tables, each under a dotted
/// name (`layer0.attention.weight`, `item.embedding`). Kept as two lists because they travel
/// differently: tables are sharded by row, dense weights are replicated.
public final class ParameterStore {
    /// Dense parameters in registration order.
    public private(set) var dense: [Variable] = []
    /// Embedding tables in registration order.
    public private(set) var tables: [EmbeddingTable] = []

    public init() {}

    /// Registers a dense parameter with an initial value.
    @discardableResult
    public func addDense(_ name: String, _ initial: Tensor) -> Variable {
        precondition(!names.contains(name), "parameter \(name) registered twice")
        let v = Variable(initial, requiresGrad: true, name: name)
        dense.append(v)
        return v
    }

    /// Registers a table with initial weights (rows, dimension).
    @discardableResult
    public func addTable(_ name: String, _ initial: Tensor, kind: TableKind = .trainable) -> EmbeddingTable {
        precondition(!names.contains(name), "parameter \(name) registered twice")
        let t = EmbeddingTable(name: name, weights: initial, kind: kind)
        tables.append(t)
        return t
    }

    /// The tables an optimizer updates (frozen ones are left out).
    public var trainableTables: [EmbeddingTable] { tables.filter { $0.kind == .trainable } }

    /// Every registered name.
    public var names: [String] { dense.map(\.name) + tables.map(\.name) }

    /// Number of scalars held.
    public var scalarCount: Int { dense.reduce(0) { $0 + $1.value.count } + tables.reduce(0) { $0 + $1.weights.count } }

    /// Clears all gradients.
    public func zeroGrad() {
        for p in dense { p.zeroGrad() }
        for t in tables { t.zeroGrad() }
    }

    /// Coalesces table gradients, then scales all gradients so their global L2 norm is at
    /// most `maxNorm` (if given). Returns the norm before scaling.
    @discardableResult
    public func prepareGradients(clipNorm maxNorm: Float? = nil) -> Float {
        var squared: Float = 0
        for t in tables {
            let g = t.gradient.coalesced()
            t.setGradient(g)
            squared += g.squaredNorm
        }
        for p in dense { if let g = p.grad { squared += FastMath.squaredSum(g.data) } }
        let norm = squared.squareRoot()
        if let maxNorm, norm > maxNorm, norm > 0 {
            let factor = maxNorm / norm
            for t in tables { var g = t.gradient; g.scale(by: factor); t.setGradient(g) }
            for p in dense { if let g = p.grad { p.grad = g.map { $0 * factor } } }
        }
        return norm
    }
}
