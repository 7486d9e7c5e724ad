import XCTest
import TrellisEval

final class PopularityRankerTests: XCTestCase {
    func testScoresAreTrainingCounts() {
        let ranker = PopularityRanker(trainItems: [2, 0, 2, 3, 2, 0], itemCount: 5)
        XCTAssertEqual(ranker.counts, [2, 0, 3, 1, 0])
        XCTAssertEqual(ranker.scores(), [2, 0, 3, 1, 0])
        // Most popular first; the two unseen items tie and go by id.
        XCTAssertEqual(topK(5, ranker.scores()), [2, 0, 3, 1, 4])
    }

    func testPopularityBaselineMetrics() {
        // Item 4 is the most popular, then item 1. The user trained on item 4, so it is
        // masked and the held-out item 1 ranks first.
        let ranker = PopularityRanker(trainItems: [4, 4, 4, 1, 1, 0], itemCount: 6)
        var metrics = RankingMetrics(ks: [1], itemCount: 6)
        metrics.add(ranker.scores(), exclude: [4], positives: [1])
        XCTAssertEqual(metrics.summary()["hit@1"], 1)
        XCTAssertEqual(metrics.summary()["mrr@1"], 1)
    }
}
