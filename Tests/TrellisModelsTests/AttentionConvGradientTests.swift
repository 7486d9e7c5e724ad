import XCTest
import TrellisCore
import TrellisModels
import TrellisTensor
import TestSupport

/// GATv2Conv and GATConv against finite differences, for the inputs and for every weight,
/// with several heads, both head combinations, edge features, and a graph with an isolated
/// target, a one-edge target and repeated edges (`ConvFixtures`).
final class AttentionConvGradientTests: XCTestCase {
    private typealias Build = (ParameterStore, inout SeededGenerator, HeadCombination) -> RelationConv

    private let gatv2: Build = { p, rng, combination in
        GATv2Conv(sourceWidth: 3, targetWidth: 4, channels: 3, heads: 2, combination: combination, edgeWidth: 2,
                  parameters: p, name: "conv", rng: &rng)
    }
    private let gat: Build = { p, rng, combination in
        GATConv(sourceWidth: 3, targetWidth: 4, channels: 3, heads: 2, combination: combination, edgeWidth: 2,
                parameters: p, name: "conv", rng: &rng)
    }

    func testGATv2ConvGradients() {
        let names = ["conv.bias", "conv.lin_l.weight", "conv.lin_l.bias", "conv.lin_r.weight", "conv.lin_r.bias",
                     "conv.lin_edge.weight", "conv.att"]
        checkGradients(gatv2, names: names)
    }

    func testGATConvGradients() {
        let names = ["conv.bias", "conv.lin_src.weight", "conv.lin_dst.weight", "conv.lin_edge.weight",
                     "conv.att_src", "conv.att_dst", "conv.att_edge"]
        checkGradients(gat, names: names)
    }

    func testIsolatedTargetGetsItsBiasAndWidthsFollowTheCombination() {
        for build in [gatv2, gat] {
            for combination in HeadCombination.allCases {
                let p = ParameterStore()
                var rng = SeededGenerator(seed: 1)
                let conv = build(p, &rng, combination)
                ConvFixtures.offsetBiases(p, seed: 2)
                let out = conv(source: Variable(.normal([4, 3], std: 1, using: &rng)), target: Variable(.normal([5, 4], std: 1, using: &rng)),
                               edges: ConvFixtures.edges, edgeFeatures: Variable(.normal([9, 2], std: 1, using: &rng)))
                XCTAssertEqual(out.shape, [5, combination == .concat ? 6 : 3])
                XCTAssertEqual(conv.outputWidth, out.shape[1])
                let bias = p.dense.first { $0.name == "conv.bias" }!.value.data
                assertClose(Array(out.value.data[0..<out.shape[1]]), bias)
            }
        }
    }

    /// Inputs and every weight, for both head combinations; `names` must be all the weights.
    private func checkGradients(_ build: Build, names: [String], file: StaticString = #filePath, line: UInt = #line) {
        combinations: for combination in HeadCombination.allCases {
            // Draw until every pre-LeakyReLU sum sits 0.02 from the kink (most draws put one
            // within a step of it); the first few seeds do.
            for attempt: UInt64 in 0..<20 {
                let p = ParameterStore()
                var rng = SeededGenerator(seed: 100 + attempt)
                let conv = build(p, &rng, combination)
                ConvFixtures.offsetBiases(p, seed: rng.next())
                let inputs = [GradientCheck.input([4, 3], seed: rng.next()), GradientCheck.input([5, 4], seed: rng.next()),
                              GradientCheck.input([9, 2], seed: rng.next())]
                let edges = ConvFixtures.edges
                let distance = ConvFixtures.kinkDistance(conv, source: Variable(inputs[0]), target: Variable(inputs[1]), edges: edges,
                                                         edgeFeatures: Variable(inputs[2]))
                guard distance > 0.02 else { continue }
                XCTAssertEqual(Set(p.dense.map(\.name)), Set(names), "no weight left unchecked", file: file, line: line)
                GradientCheck.check(inputs, epsilon: 1e-3, tolerance: 2e-2, absoluteTolerance: 2e-3, file: file, line: line) { v in
                    conv(source: v[0], target: v[1], edges: edges, edgeFeatures: v[2])
                }
                GradientCheck.checkParameters(p.dense, epsilon: 1e-3, tolerance: 2e-2, absoluteTolerance: 2e-3, file: file, line: line) {
                    conv(source: Variable(inputs[0]), target: Variable(inputs[1]), edges: edges, edgeFeatures: Variable(inputs[2]))
                }
                continue combinations
            }
            XCTFail("no draw sat away from the LeakyReLU kink", file: file, line: line)
        }
    }
}
