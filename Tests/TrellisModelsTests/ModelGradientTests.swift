import XCTest
import TrellisCore
import TrellisData
import TrellisGraph
import TrellisModels
import TrellisTensor
import TestSupport

/// LightGCN on a tiny graph: its normalised adjacency, its gradient against finite
/// differences (through the BPR loss on gathered seed rows, as the engine's step runs it), and
/// the zero-layer case.
final class ModelGradientTests: XCTestCase {
    /// 3 users, 4 items: u0-{i0, i1}, u1-{i1, i2}, u2-{i3}.
    private let graph = GraphTopology.userItem(
        CSRMatrix(rowCount: 3, columnCount: 4, rows: [0, 0, 1, 1, 2], columns: [0, 1, 1, 2, 3], values: nil, sortRows: true))

    private func whole(layers: Int) -> SampledSubgraph { SubgraphSampler.full(graph, layers: layers) }

    func testLightGCNGradient() {
        let model = LightGCN(relations: graph.relations, layerCount: 2)
        let g = whole(layers: 2)
        let users: [Int32] = [0, 2, 1], items: [Int32] = [1, 3, 0, 2]
        GradientCheck.check([GradientCheck.input([3, 3], seed: 1), GradientCheck.input([4, 3], seed: 2)]) { inputs in
            let out = model.forward(g, inputs: inputs)
            // The loss reads the seeds' rows: users 0, 2, 1 against items (1, 3, 0) and (2, 0, 3).
            return BPRLoss.of(users: out[0].gather(rows: users), items: out[1].gather(rows: items),
                              egoUsers: inputs[0].gather(rows: users), egoItems: inputs[1].gather(rows: items),
                              userRows: [0, 1, 2], positiveRows: [0, 1, 2], negativeRows: [3, 2, 1], regularization: 0.1)
        }
    }

    func testLightGCNAdjacencyIsSymmetricNormalised() {
        let a = LightGCN.normalisedAdjacency(relations: graph.relations, edges: whole(layers: 1).edges[0], counts: graph.nodeCounts)
        XCTAssertEqual(a.rowCount, 7)
        var dense = [Float](repeating: 0, count: 49)
        for r in 0..<7 { for i in a.offsets[r]..<a.offsets[r + 1] { dense[r * 7 + Int(a.columns[i])] = a.values[i] } }
        // user 0 (degree 2) - item 1 (node 4, degree 2): 1 / sqrt(2 * 2)
        XCTAssertEqual(dense[0 * 7 + 4], 0.5, accuracy: 1e-6)
        XCTAssertEqual(dense[4 * 7 + 0], 0.5, accuracy: 1e-6)
        // user 2 (degree 1) - item 3 (node 6, degree 1): 1
        XCTAssertEqual(dense[2 * 7 + 6], 1, accuracy: 1e-6)
        XCTAssertEqual(dense.filter { $0 != 0 }.count, 10, "each of the 5 links in both directions")
        for r in 0..<7 { for c in 0..<7 { XCTAssertEqual(dense[r * 7 + c], dense[c * 7 + r]) } }
    }

    func testOneLayerIsTheMeanOfSelfAndNeighbours() {
        let model = LightGCN(relations: graph.relations, layerCount: 1)
        let users = Tensor(shape: [3, 1], data: [1, 2, 3]), items = Tensor(shape: [4, 1], data: [10, 20, 30, 40])
        let out = model.forward(whole(layers: 1), inputs: [Variable(users), Variable(items)])
        // user 0 hears items 0 and 1 (degree 1 and 2): (1 + 10/sqrt(2*1) + 20/sqrt(2*2)) / 2
        XCTAssertEqual(out[0].value.data[0], (1 + 10 / Float(2).squareRoot() + 20 / 2) / 2, accuracy: 1e-5)
        // item 3 hears user 2 (both degree 1): (40 + 3) / 2
        XCTAssertEqual(out[1].value.data[3], 21.5, accuracy: 1e-5)
    }

    func testZeroLayersGiveTheTablesBack() {
        let model = LightGCN(relations: graph.relations, layerCount: 0)
        let users = GradientCheck.input([3, 4], seed: 3), items = GradientCheck.input([4, 4], seed: 4)
        let out = model.forward(whole(layers: 0), inputs: [Variable(users), Variable(items)])
        XCTAssertEqual(out.map(\.value), [users, items])
    }
}
