import XCTest
import TrellisData
import TrellisTensor
import TrellisTraining

final class RankingEvaluationTests: XCTestCase {
    func testMaskedItemsAreSkippedAndHitsCounted() {
        // One user, 4 items, 1-d embeddings: scores equal the item values 4, 3, 2, 1.
        let users = Tensor(shape: [1, 1], data: [1])
        let items = Tensor(shape: [4, 1], data: [4, 3, 2, 1])
        let mask = CSRMatrix(rowCount: 1, columnCount: 4, rows: [0], columns: [0], values: nil, sortRows: true)
        let targets = CSRMatrix(rowCount: 1, columnCount: 4, rows: [0], columns: [2], values: nil, sortRows: true)
        // Item 0 is masked, so the ranking is 1, 2, 3: the target (item 2) is at rank 2.
        let m = RankingEvaluation.evaluate(users: users, items: items, targets: targets, mask: mask, ks: [1, 2])
        XCTAssertEqual(m["hit@1"], 0)
        XCTAssertEqual(m["hit@2"], 1)
        XCTAssertEqual(m["mrr@2"], 0.5)
        XCTAssertEqual(m["ndcg@2"]!, 1 / log2(3.0), accuracy: 1e-12)
        XCTAssertEqual(m["users"], 1)
    }
}
