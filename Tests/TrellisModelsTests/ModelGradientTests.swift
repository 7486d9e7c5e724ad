import XCTest
import TrellisCore
import TrellisData
import TrellisModels
import TrellisTensor
import TestSupport

/// Whole-model gradients against finite differences, on a tiny graph.
final class ModelGradientTests: XCTestCase {
    private func tinyInteractions() -> CSRMatrix {
        // 3 users, 4 items
        CSRMatrix(rowCount: 3, columnCount: 4, rows: [0, 0, 1, 1, 2], columns: [0, 1, 1, 2, 3], values: nil, sortRows: true)
    }

    private let batch = TripletBatch(users: [0, 1, 2, 0], positives: [1, 2, 3, 0], negatives: [3, 0, 1, 2])

    /// d loss / d table weights from the row gradients vs central differences.
    private func checkTables(_ model: Recommender, file: StaticString = #filePath, line: UInt = #line) {
        let params = model.parameters
        params.zeroGrad()
        model.loss(batch).backward()
        params.prepareGradients()
        for table in params.tables {
            let g = table.gradient
            var dense = [Float](repeating: 0, count: table.weights.count)
            for (k, row) in g.rowIDs.enumerated() {
                for j in 0..<table.dimension { dense[Int(row) * table.dimension + j] = g.values[k * table.dimension + j] }
            }
            let original = table.weights
            for i in 0..<original.count {
                table.weights.data[i] = original.data[i] + 1e-2
                let plus = Double(model.loss(batch).value.scalar)
                table.weights.data[i] = original.data[i] - 1e-2
                let minus = Double(model.loss(batch).value.scalar)
                table.weights = original
                let numeric = Float((plus - minus) / 2e-2)
                XCTAssertEqual(dense[i], numeric, accuracy: 2e-3 + 1e-2 * abs(numeric),
                               "\(table.name)[\(i)]", file: file, line: line)
            }
        }
    }

    func testMatrixFactorizationGradient() {
        checkTables(MatrixFactorization(userCount: 3, itemCount: 4, dimension: 3, regularization: 0.1, seed: 1))
    }

    func testLightGCNGradient() {
        checkTables(LightGCN(interactions: tinyInteractions(), dimension: 3, layerCount: 2, regularization: 0.1, seed: 1))
    }

    func testLightGCNAdjacencyIsSymmetricNormalised() {
        let a = LightGCN.normalisedAdjacency(tinyInteractions())
        XCTAssertEqual(a.rowCount, 7)
        // user 0 (degree 2) - item 1 (node 4, degree 2): 1 / sqrt(2 * 2)
        var dense = [Float](repeating: 0, count: 49)
        for r in 0..<7 { for i in a.offsets[r]..<a.offsets[r + 1] { dense[r * 7 + Int(a.columns[i])] = a.values[i] } }
        XCTAssertEqual(dense[0 * 7 + 4], 0.5, accuracy: 1e-6)
        XCTAssertEqual(dense[4 * 7 + 0], 0.5, accuracy: 1e-6)
        // user 2 (degree 1) - item 3 (node 6, degree 1): 1
        XCTAssertEqual(dense[2 * 7 + 6], 1, accuracy: 1e-6)
        for r in 0..<7 { for c in 0..<7 { XCTAssertEqual(dense[r * 7 + c], dense[c * 7 + r]) } }
    }

    func testZeroLayerLightGCNScoresAreDotProducts() {
        let model = LightGCN(interactions: tinyInteractions(), dimension: 4, layerCount: 0, regularization: 0, seed: 3)
        let (users, items) = model.rankingEmbeddings()
        XCTAssertEqual(users, model.userEmbedding.weights)
        XCTAssertEqual(items, model.itemEmbedding.weights)
    }
}
