import TrellisCluster
import TrellisCore
import TrellisGraph
import TrellisModels
import TrellisTensor
import XCTest

/// Layer-wise inference in chunks gives every node the output the full-graph forward pass
/// gives it, for each layer-wise model, whatever the chunk size.
final class LayerwiseInferenceTests: XCTestCase {
    func testChunkedLayersMatchTheFullGraphForward() throws {
        let data = ClusterEngineTests.dataset()
        let plain = GraphTopology.userItem(data.trainItems)
        // The same links with a rating on every edge, which GATv2 reads as an edge feature.
        let train = data.split.train
        let rated = try GraphTopology.userItem(users: train.users, items: train.items, ratings: train.users.indices.map { Float($0 % 5 + 1) },
                                               userCount: data.userCount, itemCount: data.itemCount)
        var rng = SeededGenerator(seed: 9)
        let tables = plain.nodeCounts.map { Tensor.normal([$0, 8], std: 1, using: &rng) }
        let models: [(LayerwiseRecommender, GraphTopology)] = [
            (GraphSAGE(relations: plain.relations, nodeTypeCount: 2, dimension: 8, layerCount: 2, aggregator: .mean, seed: 1), plain),
            (GraphSAGE(relations: plain.relations, nodeTypeCount: 2, dimension: 8, layerCount: 2, aggregator: .pool, seed: 2), plain),
            (HeteroGATv2(relations: plain.relations, nodeTypeCount: 2, dimension: 8, layerCount: 2, seed: 3), plain),
            (HeteroGATv2(relations: rated.relations, nodeTypeCount: 2, dimension: 8, layerCount: 2, seed: 4), rated),
        ]
        for (model, graph) in models {
            let full = model.forward(SubgraphSampler.full(graph, layers: 2), inputs: tables.map { Variable($0) }).map(\.value)
            for chunk in [7, 50, 1000] {
                let chunked = try LayerwiseInference(model: model, relations: graph.relations, source: graph, chunk: chunk)
                    .outputs(tables: tables)
                for t in 0..<2 {
                    XCTAssertEqual(chunked[t].shape, full[t].shape)
                    let gap = zip(chunked[t].data, full[t].data).map { abs($0 - $1) }.max() ?? 0
                    XCTAssertLessThan(gap, 1e-4, "\(model.name), chunk \(chunk), type \(t)")
                }
            }
        }
    }
}
