import TrellisCore
import TrellisTensor

/// What GAT and GATv2 convolutions share: H heads of C channels, how they are combined, the
/// LeakyReLU slope, and the output bias (`<name>.bias`, PyG's name).
public struct AttentionHeads {
    public let heads: Int
    public let channels: Int
    public let combination: HeadCombination
    public let negativeSlope: Float
    /// (H*C) for concat, (C) for mean; zeros; nil without a bias.
    public let bias: Variable?

    init(heads: Int, channels: Int, combination: HeadCombination, negativeSlope: Float, bias: Bool,
         parameters: ParameterStore, name: String) {
        precondition(heads > 0 && channels > 0, "attention needs heads and channels > 0, got \(heads) x \(channels)")
        self.heads = heads
        self.channels = channels
        self.combination = combination
        self.negativeSlope = negativeSlope
        self.bias = bias ? parameters.addDense("\(name).bias", .zeros([combination.width(heads: heads, channels: channels)])) : nil
    }

    /// heads * channels: the width of the projections.
    public var width: Int { heads * channels }
    /// Width of the combined output.
    public var outputWidth: Int { combination.width(heads: heads, channels: channels) }

    /// (N, H*C) -> (N, H, C).
    func split(_ x: Variable) -> Variable { x.reshaped([-1, heads, channels]) }

    /// (Nt, H, C) -> combined heads plus bias.
    func output(_ x: Variable) -> Variable {
        let combined = combination.apply(x)
        return bias.map { combined + $0 } ?? combined
    }
}

/// How the heads of a multi-head attention convolution are combined.
public enum HeadCombination: String, Sendable, CaseIterable {
    /// Side by side: (N, heads * channels), PyG's `concat=True`.
    case concat
    /// Averaged: (N, channels), PyG's `concat=False`.
    case mean

    /// (N, H, C) -> (N, H*C) or (N, C).
    func apply(_ x: Variable) -> Variable {
        switch self {
        case .concat: return x.reshaped([x.shape[0], x.shape[1] * x.shape[2]])
        case .mean: return x.mean(axis: 1)
        }
    }

    /// Output width for `heads` heads of `channels`.
    func width(heads: Int, channels: Int) -> Int { self == .concat ? heads * channels : channels }
}

