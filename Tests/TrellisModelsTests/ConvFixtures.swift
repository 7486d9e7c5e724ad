import XCTest
import TrellisCore
import TrellisModels
import TrellisTensor
import TestSupport

/// Small bipartite graphs and input checks shared by the convolution tests.
enum ConvFixtures {
    /// 4 sources -> 5 targets, out of order: target 0 has no edge, target 1 one, target 2 a
    /// repeated edge (1 -> 2 twice), target 4 only a repeat (2 -> 4 twice).
    static let sources: [Int32] = [1, 0, 2, 3, 2, 1, 3, 0, 2]
    static let targets: [Int32] = [2, 2, 1, 3, 4, 2, 2, 3, 4]
    static var edges: EdgeIndex { EdgeIndex(sources: sources, targets: targets, sourceCount: 4, targetCount: 5) }

    /// Moves every bias off zero, where a dropped or doubled bias gradient could hide.
    static func offsetBiases(_ parameters: ParameterStore, seed: UInt64) {
        for (k, p) in parameters.dense.enumerated() where p.name.hasSuffix("bias") {
            p.value = GradientCheck.input(p.shape, low: -0.5, high: 0.5, minimumMagnitude: 0.05, seed: seed &+ UInt64(k))
        }
    }

    /// The smallest |pre-LeakyReLU sum| over edges, heads (and channels, for GATv2): how far
    /// the inputs sit from the kink a finite-difference step must not cross.
    static func kinkDistance(_ conv: RelationConv, source: Variable, target: Variable, edges: EdgeIndex, edgeFeatures: Variable?) -> Float {
        let j = edges.sourcesByPosition, i = edges.targetsByPosition, e = edges.edgesByTarget
        let z: Variable
        if let v2 = conv as? GATv2Conv {
            var sum = v2.linearSource(source).gather(rows: j) + v2.linearTarget(target).gather(rows: i)  // (E, H*C)
            if let lin = v2.linearEdge, let f = edgeFeatures { sum = sum + lin(f).gather(rows: e) }
            z = sum
        } else if let v1 = conv as? GATConv {
            let h = v1.heads
            func score(_ lin: Linear, _ a: Variable, _ x: Variable) -> Variable { (lin(x).reshaped([-1, h.heads, h.channels]) * a).sum(axis: 2) }
            var sum = score(v1.linearSource, v1.attentionSource, source).gather(rows: j)
                + score(v1.linearTarget, v1.attentionTarget, target).gather(rows: i)  // (E, H)
            if let lin = v1.linearEdge, let a = v1.attentionEdge, let f = edgeFeatures { sum = sum + score(lin, a, f).gather(rows: e) }
            z = sum
        } else {
            return .infinity
        }
        return z.value.data.map(abs).min() ?? .infinity
    }
}
