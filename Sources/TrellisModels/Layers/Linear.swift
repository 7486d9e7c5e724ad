import TrellisCore
import TrellisTensor

/// y = x Wᵀ + b, as PyTorch's `nn.Linear`: the weight is (out, in), so its parameters load
/// and export under PyG's names (`<prefix>.weight`, `<prefix>.bias`) without transposing.
public struct Linear {
    /// (out, in), Xavier-uniform (PyG's "glorot").
    public let weight: Variable
    /// (out), zeros; nil without a bias.
    public let bias: Variable?

    /// Registers `<name>.weight` (and `<name>.bias`) in `parameters`.
    public init(_ inputWidth: Int, _ outputWidth: Int, bias: Bool = true, parameters: ParameterStore, name: String,
                rng: inout SeededGenerator) {
        weight = parameters.addDense("\(name).weight", .xavierUniform([outputWidth, inputWidth], using: &rng))
        self.bias = bias ? parameters.addDense("\(name).bias", .zeros([outputWidth])) : nil
    }

    /// (N, in) -> (N, out).
    public func callAsFunction(_ x: Variable) -> Variable {
        x.linear(weight: weight, bias: bias)
    }
}
