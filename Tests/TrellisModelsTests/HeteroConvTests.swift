import XCTest
import TrellisCore
import TrellisGraph
import TrellisModels
import TrellisTensor
import TestSupport

/// HeteroConv on users and movies: user rates movie (GATv2 with the rating as an edge
/// feature), movie rated_by user (GAT with the rating), and movie similar movie (SAGE), so
/// movies sum two relations' outputs.
final class HeteroConvTests: XCTestCase {
    private let user = 0, movie = 1
    private let relations = [GraphTopology.Relation(name: "rates", source: 0, target: 1),
                             GraphTopology.Relation(name: "rated_by", source: 1, target: 0),
                             GraphTopology.Relation(name: "similar", source: 1, target: 1)]
    // rates: movie 0 unrated, movie 1 once, movie 2 three times (user 1 twice); rated_by reversed.
    private let rates = (sources: [Int32](arrayLiteral: 0, 1, 1, 2, 0, 2), targets: [Int32](arrayLiteral: 2, 2, 2, 3, 3, 1))
    private let similar = (sources: [Int32](arrayLiteral: 1, 2, 3), targets: [Int32](arrayLiteral: 0, 0, 3))
    private var edges: [EdgeIndex] {
        [EdgeIndex(sources: rates.sources, targets: rates.targets, sourceCount: 3, targetCount: 4),
         EdgeIndex(sources: rates.targets, targets: rates.sources, sourceCount: 4, targetCount: 3),
         EdgeIndex(sources: similar.sources, targets: similar.targets, sourceCount: 4, targetCount: 4)]
    }

    /// users (3, 4), movies (4, 3); every relation's output is 4 wide.
    private func model(_ aggregation: HeteroConv.Aggregation, seed: UInt64) -> (HeteroConv, ParameterStore) {
        let p = ParameterStore()
        var rng = SeededGenerator(seed: seed)
        let convs: [RelationConv] = [
            GATv2Conv(sourceWidth: 4, targetWidth: 3, channels: 2, heads: 2, edgeWidth: 1, parameters: p, name: "rates", rng: &rng),
            GATConv(sourceWidth: 3, targetWidth: 4, channels: 4, heads: 2, combination: .mean, edgeWidth: 1,
                    parameters: p, name: "rated_by", rng: &rng),
            SAGEConv(sourceWidth: 3, targetWidth: 3, outputWidth: 4, parameters: p, name: "similar", rng: &rng),
        ]
        ConvFixtures.offsetBiases(p, seed: seed)
        return (HeteroConv(relations: relations, convolutions: convs, aggregation: aggregation), p)
    }

    private func run(_ conv: HeteroConv, _ v: [Variable]) -> Variable {
        let out = conv([v[0], v[1]], edges: edges, edgeFeatures: [v[2], v[3], nil])
        return Variable.concat([out[user]!, out[movie]!], axis: 0)  // (7, 4)
    }

    func testSumGradientsMatchFiniteDifferences() {
        for attempt: UInt64 in 0..<20 {
            let (conv, p) = model(.sum, seed: 200 + attempt)
            let inputs = [GradientCheck.input([3, 4], seed: 300 + attempt), GradientCheck.input([4, 3], seed: 400 + attempt),
                          GradientCheck.input([6, 1], low: 0.5, high: 5, seed: 500 + attempt),  // ratings
                          GradientCheck.input([6, 1], low: 0.5, high: 5, seed: 600 + attempt)]
            let x = inputs.map { Variable($0) }
            let d0 = ConvFixtures.kinkDistance(conv.convolutions[0], source: x[0], target: x[1], edges: edges[0], edgeFeatures: x[2])
            let d1 = ConvFixtures.kinkDistance(conv.convolutions[1], source: x[1], target: x[0], edges: edges[1], edgeFeatures: x[3])
            // Draw until every pre-LeakyReLU sum sits 0.02 from the kink, as a step must not cross it.
            guard min(d0, d1) > 0.02 else { continue }
            XCTAssertEqual(p.dense.count, 7 + 7 + 3, "every weight of the three convolutions is checked")
            GradientCheck.check(inputs, epsilon: 1e-3, tolerance: 2e-2, absoluteTolerance: 2e-3) { run(conv, $0) }
            GradientCheck.checkParameters(p.dense, epsilon: 1e-3, tolerance: 2e-2, absoluteTolerance: 2e-3) { run(conv, x) }
            return
        }
        XCTFail("no draw sat away from the LeakyReLU kink")
    }

    func testAggregationsCombineRelationOutputs() {
        let x = [GradientCheck.input([3, 4], seed: 1), GradientCheck.input([4, 3], seed: 2),
                 GradientCheck.input([6, 1], seed: 3), GradientCheck.input([6, 1], seed: 4)].map { Variable($0) }
        for aggregation in HeteroConv.Aggregation.allCases {
            let (conv, _) = model(aggregation, seed: 7)
            let out = conv([x[0], x[1]], edges: edges, edgeFeatures: [x[2], x[3], nil])
            let a = conv.convolutions[0](source: x[0], target: x[1], edges: edges[0], edgeFeatures: x[2]).value.data
            let b = conv.convolutions[2](source: x[1], target: x[1], edges: edges[2], edgeFeatures: nil).value.data
            let expected: [Float] = zip(a, b).map { a, b in
                switch aggregation {
                case .sum: return a + b
                case .mean: return (a + b) / 2
                case .max: return max(a, b)
                }
            }
            assertClose(out[movie]!.value.data, expected)
            let users = conv.convolutions[1](source: x[1], target: x[0], edges: edges[1], edgeFeatures: x[3]).value.data
            assertClose(out[user]!.value.data, users, accuracy: 0)
        }
    }

    func testSampledLayerTakesTargetsFromTheFrontRows() {
        // Layer 1 keeps users [0, 2] and movies [1, 0]; layer 0 adds user 1 and movie 3.
        let g = SampledSubgraph(nodes: [[[0, 2, 1], [1, 0, 3]], [[0, 2], [1, 0]]],
                                edges: [[SampledSubgraph.Edges(sources: [0, 2, 1], targets: [0, 0, 1]),
                                         SampledSubgraph.Edges(sources: [2, 0], targets: [1, 1]),
                                         SampledSubgraph.Edges(sources: [2], targets: [1])]])
        let x = [Variable(GradientCheck.input([3, 4], seed: 5)), Variable(GradientCheck.input([3, 3], seed: 6))]
        let features = [Variable(GradientCheck.input([3, 1], seed: 7)), Variable(GradientCheck.input([2, 1], seed: 8)), nil]
        let (conv, _) = model(.sum, seed: 9)
        let sampled = conv(g, layer: 0, x, edgeFeatures: features)
        XCTAssertEqual(sampled[user]!.shape, [2, 4])
        XCTAssertEqual(sampled[movie]!.shape, [2, 4])
        let explicit = conv(x, edges: [EdgeIndex(sources: [0, 2, 1], targets: [0, 0, 1], sourceCount: 3, targetCount: 2),
                                       EdgeIndex(sources: [2, 0], targets: [1, 1], sourceCount: 3, targetCount: 2),
                                       EdgeIndex(sources: [2], targets: [1], sourceCount: 3, targetCount: 2)],
                            edgeFeatures: features)
        XCTAssertEqual(sampled[user]!.value, explicit[user]!.value)
        XCTAssertEqual(sampled[movie]!.value, explicit[movie]!.value)
    }
}
