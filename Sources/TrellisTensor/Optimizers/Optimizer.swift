/// Updates dense parameters from their `grad`.
public protocol DenseOptimizer: AnyObject {
    /// Step size; schedulers change it between steps.
    var learningRate: Float { get set }
    /// Applies one update to every parameter that has a gradient.
    func step(_ parameters: [Variable])
}

/// Updates embedding tables from their row gradients, touching only the rows present.
public protocol RowOptimizer: AnyObject {
    var learningRate: Float { get set }
    /// Applies one update to the rows in each table's (coalesced) gradient.
    func step(_ tables: [EmbeddingTable])
}

/// Per-parameter moment buffers, keyed by parameter name so they can be checkpointed.
public struct MomentBuffers: Sendable, Equatable {
    public var first: [String: [Float]] = [:]
    public var second: [String: [Float]] = [:]
    public init() {}
}
