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

    func testChunkingDoesNotChangeTheResult() {
        // 7 users over 5 items, ranked in chunks of 1, 3 and all at once.
        var users: [Float] = [], items: [Float] = []
        for u in 0..<7 { users += [Float(u % 3) - 1, Float(u) * 0.3] }
        for i in 0..<5 { items += [Float(i) * 0.5 - 1, Float(4 - i) * 0.25] }
        let ut = Tensor(shape: [7, 2], data: users), it = Tensor(shape: [5, 2], data: items)
        let targets = CSRMatrix(rowCount: 7, columnCount: 5, rows: [0, 1, 2, 3, 4, 5, 6, 6], columns: [1, 2, 3, 4, 0, 1, 2, 4],
                                values: nil, sortRows: true)
        let mask = CSRMatrix(rowCount: 7, columnCount: 5, rows: [0, 3], columns: [0, 1], values: nil, sortRows: true)
        let whole = RankingEvaluation.evaluate(users: ut, items: it, targets: targets, mask: mask, ks: [2, 3])
        for chunk in [1, 3] {
            let parts = RankingEvaluation.evaluate(users: ut, items: it, targets: targets, mask: mask, ks: [2, 3],
                                                   usersPerChunk: chunk)
            for (key, value) in whole { XCTAssertEqual(parts[key]!, value, accuracy: 1e-12, key) }
        }
    }
}
