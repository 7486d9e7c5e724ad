import XCTest
import TrellisCore
import TrellisGraph
import TrellisModels
import TrellisTensor
import TestSupport

/// The input layer: embeddings pass through, a feature table is projected and added to its
/// node type's rows; the projection's weight and the embeddings checked by finite differences.
final class InputLayerTests: XCTestCase {
    let schema = GraphSchema(nodeTypes: [.init(name: "user", count: 4), .init(name: "item", count: 5)],
                             relations: [], features: [.init(name: "item.features", nodeType: 1, width: 3)])

    func testFeaturesAreProjectedOntoTheirNodeType() {
        let input = InputLayer(schema: schema, dimension: 2, seed: 1)
        XCTAssertEqual(input.tableCount, 3)
        XCTAssertEqual(input.tableIDs([[0, 3], [4, 1, 2]]), [[0, 3], [4, 1, 2], [4, 1, 2]])
        let w = input.parameters.dense[0]
        XCTAssertEqual(w.name, "item.projection.weight")
        XCTAssertEqual(w.value.shape, [2, 3])
        w.value = Tensor(shape: [2, 3], data: [1, 0, 2, 0, 1, 0])
        let users = Variable(Tensor(shape: [1, 2], data: [5, 6]))
        let items = Variable(Tensor(shape: [1, 2], data: [1, 1]))
        let features = Variable(Tensor(shape: [1, 3], data: [1, 2, 3]))
        let out = input([users, items, features])
        XCTAssertEqual(out[0].value.data, [5, 6], "users have no features: their rows as pulled")
        XCTAssertEqual(out[1].value.data, [1 + 7, 1 + 2], "item row + W · f")
    }

    func testGradientsOfTheProjectionAndTheEmbeddings() {
        let input = InputLayer(schema: schema, dimension: 4, seed: 2)
        let features = Variable(GradientCheck.input([5, 3], seed: 3))
        GradientCheck.checkParameters(input.parameters.dense) {
            input([Variable(GradientCheck.input([4, 4], seed: 4)), Variable(GradientCheck.input([5, 4], seed: 5)), features])[1]
        }
        GradientCheck.check([GradientCheck.input([4, 4], seed: 6), GradientCheck.input([5, 4], seed: 7)]) { rows in
            let out = input([rows[0], rows[1], features])
            return out[0].sum(axis: 1) + out[1].sum(axis: 1).gather(rows: [0, 1, 2, 3])
        }
    }
}
