import TrellisCore
import TrellisTensor

/// GraphSAGE convolution for one relation, mean aggregator, as PyG's `SAGEConv`:
///
///     out_i = W_l · mean_{j -> i} x_j + b_l + W_r · x_i
///
/// The same term `GraphSAGE` sums per relation, as a layer `HeteroConv` can hold (GraphSAGE
/// keeps its own weights and names, which checkpoints already use). Names follow PyG:
/// `lin_l` (with bias), `lin_r` (without). A target with no edge gets b_l + W_r x_i.
public final class SAGEConv: RelationConv {
    public let linearNeighbour: Linear  // (out, in_src)
    public let linearRoot: Linear       // (out, in_dst), no bias
    public let outputWidth: Int

    /// Registers `<name>.lin_l.*` and `<name>.lin_r.weight` in `parameters`.
    public init(sourceWidth: Int, targetWidth: Int, outputWidth: Int, parameters: ParameterStore, name: String,
                rng: inout SeededGenerator) {
        self.outputWidth = outputWidth
        linearNeighbour = Linear(sourceWidth, outputWidth, parameters: parameters, name: "\(name).lin_l", rng: &rng)
        linearRoot = Linear(targetWidth, outputWidth, bias: false, parameters: parameters, name: "\(name).lin_r", rng: &rng)
    }

    /// Edge features are not used (`edgeFeatures` must be nil).
    public func callAsFunction(source: Variable, target: Variable, edges: EdgeIndex, edgeFeatures: Variable?) -> Variable {
        precondition(edgeFeatures == nil, "SAGEConv takes no edge features")
        return linearNeighbour(source.neighbourMean(edges)) + linearRoot(target)  // mean: (Nt, in_src)
    }
}
