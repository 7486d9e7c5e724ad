import TrellisCore

/// What a table is for, which decides who may change it.
public enum TableKind: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// Learned rows (embeddings): row gradients arrive, an optimizer updates them.
    case trainable = 0
    /// Rows given by the data (text embeddings, side features): read, never updated; a
    /// gradient for one is refused.
    case frozen = 1

    public var description: String { self == .trainable ? "trainable" : "frozen" }
}

/// A table of rows (user or item embeddings, or frozen node features), kept apart from dense
/// weights.
///
/// Looking rows up gives a `Variable` whose gradient lands here as a `RowGradient` (only the
/// rows used), so a table can live on a parameter server sharded by row and an optimizer can
/// touch just the rows a batch used. A frozen table's rows carry no gradient.
public final class EmbeddingTable {
    /// The table's key in checkpoints and on the wire (`user.embedding`).
    public let name: String
    public let kind: TableKind
    /// (rowCount, dimension)
    public var weights: Tensor
    /// Gradient rows gathered since the last `zeroGrad()`.
    public private(set) var gradient: RowGradient

    /// A table with the given initial weights of shape (rows, dimension).
    public init(name: String, weights: Tensor, kind: TableKind = .trainable) {
        precondition(weights.rank == 2, "embedding table \(name) needs (rows, dimension), got \(weights.shape)")
        self.name = name
        self.kind = kind
        self.weights = weights
        self.gradient = RowGradient(dimension: weights.shape[1])
    }

    public var rowCount: Int { weights.shape[0] }
    public var dimension: Int { weights.shape[1] }

    /// Rows `ids`: (ids.count, dimension). Gradients flow back to those rows only.
    public func lookup(_ ids: [Int32]) -> Variable {
        let rows = Variable.gatherRows(weights, ids, rowCount: rowCount, width: dimension)
        return Variable(rows, gradientSink: { [unowned self] g in
            gradient.add(rowIDs: ids, values: g.data)
        })
    }

    /// The whole table as one variable (full-graph propagation, e.g. LightGCN). Its gradient
    /// covers every row, so an optimizer treats it as dense.
    public func all() -> Variable {
        let n = rowCount
        return Variable(weights, gradientSink: { [unowned self] g in
            gradient.add(rowIDs: (0..<Int32(n)).map { $0 }, values: g.data)
        })
    }

    /// Replaces the accumulated gradient (e.g. with its coalesced or clipped form).
    public func setGradient(_ g: RowGradient) {
        precondition(kind == .trainable || g.isEmpty, "frozen table \(name) given a gradient")
        precondition(g.dimension == dimension, "gradient dimension \(g.dimension) for table of \(dimension)")
        gradient = g
    }

    /// Drops the accumulated gradient.
    public func zeroGrad() { gradient = RowGradient(dimension: dimension) }
}
