import XCTest
import TrellisCore
import TrellisGraph
import TrellisModels
import TrellisTensor
import TestSupport

/// The gatv2 model with the rating as GATv2's edge feature: gradients of the input rows and of
/// every weight (the edge projections `lin_edge` included) through two hops and the rating
/// head, against finite differences.
final class HeteroGATv2Tests: XCTestCase {
    /// 3 users, 4 items, 6 rated edges, both relations carrying the rating.
    private func graph() throws -> GraphTopology {
        try GraphTopology.userItem(users: [0, 0, 1, 1, 2, 2], items: [0, 1, 1, 2, 3, 0], ratings: [5, 1, 4, 2, 3, 4.5],
                                   userCount: 3, itemCount: 4)
    }

    /// Scores of (user, item) pairs after two hops over the whole graph: (5).
    private func scores(_ model: HeteroGATv2, _ g: SampledSubgraph, _ x: [Variable]) -> Variable {
        let h = model.forward(g, inputs: x)
        return model.score(users: h[0].gather(rows: [0, 1, 2, 0, 2]), items: h[1].gather(rows: [1, 2, 3, 3, 0]))
    }

    func testGradientsWithTheRatingAsEdgeFeatureMatchFiniteDifferences() throws {
        let graph = try graph()
        let g = SubgraphSampler.full(graph, layers: 2)
        let model = HeteroGATv2(relations: graph.relations, nodeTypeCount: 2, dimension: 4, layerCount: 2, heads: 2, seed: 11)
        let names = model.parameters.dense.map(\.name)
        XCTAssert(names.contains("gatv2.0.item->user.lin_edge.weight") && names.contains("gatv2.1.user->item.lin_edge.weight"), "\(names)")
        let inputs = [GradientCheck.input([3, 4], seed: 21), GradientCheck.input([4, 4], seed: 22)]
        let x = inputs.map { Variable($0) }
        GradientCheck.check(inputs, epsilon: 1e-3, tolerance: 3e-2, absoluteTolerance: 3e-3) { scores(model, g, $0) }
        GradientCheck.checkParameters(model.parameters.dense, epsilon: 1e-3, tolerance: 3e-2, absoluteTolerance: 3e-3) {
            scores(model, g, x)
        }
    }

    /// The dot head (no head weights) with tanh and with no activation between the layers.
    func testGradientsWithTheDotHeadMatchFiniteDifferences() throws {
        let graph = try graph()
        let g = SubgraphSampler.full(graph, layers: 2)
        let inputs = [GradientCheck.input([3, 4], seed: 21), GradientCheck.input([4, 4], seed: 22)]
        let x = inputs.map { Variable($0) }
        for activation in [HeteroGATv2.Activation.tanh, .none] {
            let model = HeteroGATv2(relations: graph.relations, nodeTypeCount: 2, dimension: 4, layerCount: 2, heads: 2,
                                    head: .dot, activation: activation, seed: 11)
            XCTAssertFalse(model.parameters.dense.contains { $0.name.hasPrefix("head.") }, "\(activation)")
            let h = model.forward(g, inputs: x)
            let expected = zip([0, 1, 2, 0, 2], [1, 2, 3, 3, 0]).map { u, i in
                (0..<4).reduce(Float(0)) { $0 + h[0].value.data[u * 4 + $1] * h[1].value.data[i * 4 + $1] }
            }
            XCTAssertEqual(scores(model, g, x).value.data, expected, "\(activation): the dot head is h_u · h_i")
            GradientCheck.check(inputs, epsilon: 1e-3, tolerance: 3e-2, absoluteTolerance: 3e-3) { scores(model, g, $0) }
            GradientCheck.checkParameters(model.parameters.dense, epsilon: 1e-3, tolerance: 3e-2, absoluteTolerance: 3e-3) {
                scores(model, g, x)
            }
        }
    }

    func testTheRatingChangesTheAttention() throws {
        let graph = try graph()
        let model = HeteroGATv2(relations: graph.relations, nodeTypeCount: 2, dimension: 4, layerCount: 2, heads: 2, seed: 11)
        let x = [Variable(GradientCheck.input([3, 4], seed: 21)), Variable(GradientCheck.input([4, 4], seed: 22))]
        var g = SubgraphSampler.full(graph, layers: 2)
        let before = scores(model, g, x).value.data
        g.edges[0][0].values = g.edges[0][0].values.map { 6 - $0 }
        XCTAssertNotEqual(scores(model, g, x).value.data, before)
    }
}
