import XCTest
import TrellisCore
import TrellisData
import TrellisGraph
import TrellisModels
import TrellisTensor
import TestSupport

/// GraphSAGE's dense weights against finite differences (the input embeddings are checked in
/// ClusterEngineTests): neighbour, root and pool weights and their biases, both aggregators.
final class GraphSAGEGradientTests: XCTestCase {
    func testDenseWeightGradientsMatchFiniteDifferences() {
        // 4 users, 3 items; every node has a neighbour, so every weight is used.
        let g = GraphTopology.userItem(CSRMatrix(rowCount: 4, columnCount: 3, rows: [0, 0, 1, 2, 3, 3],
                                                 columns: [0, 1, 1, 2, 0, 2], values: nil, sortRows: true))
        let full = SubgraphSampler.full(g, layers: 2)
        var rng = SeededGenerator(seed: 5)
        let inputs = [Tensor.normal([4, 3], std: 0.7, using: &rng), Tensor.normal([3, 3], std: 0.7, using: &rng)].map { Variable($0) }
        for aggregator in [GraphSAGE.Aggregator.mean, .pool] {
            let model = GraphSAGE(relations: g.relations, nodeTypeCount: 2, dimension: 3, layerCount: 2, aggregator: aggregator, seed: 3)
            let dense = model.parameters.dense
            // Biases start at zero, where a dropped or doubled bias gradient could hide.
            for p in dense where p.name.hasSuffix(".bias") {
                p.value = GradientCheck.input(p.shape, low: -0.5, high: 0.5, minimumMagnitude: 0.05, seed: rng.next())
            }
            var kinds = ["neighbour.weight", "neighbour.bias", "root.weight"]
            if aggregator == .pool { kinds += ["pool.weight", "pool.bias"] }
            for kind in kinds {
                XCTAssertEqual(dense.filter { $0.name.hasSuffix(kind) }.count, 2 * g.relations.count, "\(aggregator): \(kind) per layer and relation")
            }
            XCTAssertEqual(dense.count, kinds.count * 2 * g.relations.count, "\(aggregator): no dense weight left unchecked")
            // A small step: at 1e-2 the pool's relu and max switch branches on this graph.
            GradientCheck.checkParameters(dense, epsilon: 1e-3, tolerance: 2e-2, absoluteTolerance: 2e-3) {
                let out = model.forward(full, inputs: inputs)
                return Variable.concat([out[0], out[1]], axis: 0)
            }
        }
    }
}
