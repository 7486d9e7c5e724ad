import TrellisGraph
import TrellisTensor

/// BPR matrix factorisation as a sampled recommender: no dense weights and no layers, the
/// user and item rows are the representations. Its tables are the parameter server's, so it
/// trains in a cluster like any GNN, on the same initial draws as `MatrixFactorization`.
public final class ShardedMatrixFactorization: SampledRecommender {
    public let name = "bpr"
    public let parameters = ParameterStore()
    public let layerCount = 0

    public init() {}

    public func forward(_ subgraph: SampledSubgraph, inputs: [Variable]) -> [Variable] { inputs }
}
