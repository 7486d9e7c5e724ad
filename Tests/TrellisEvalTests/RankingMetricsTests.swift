import XCTest
import TrellisEval

final class RankingMetricsTests: XCTestCase {
    // DCG gains 1/log2(r + 1) at 1-based ranks r = 2, 3, 4 (rank 1 gives 1).
    let gain2 = 0.6309297535714575   // 1/log2(3)
    let gain3 = 0.5                  // 1/log2(4)
    let gain4 = 0.43067655807339306  // 1/log2(5)

    /// Ten items ranked 0, 1, 2, ..., 9 (score 10 - id).
    let ascendingRanking: [Float] = (0..<10).map { Float(10 - $0) }
    /// Ten items ranked 9, 8, ..., 0 (score = id).
    let descendingRanking: [Float] = (0..<10).map { Float($0) }

    func testGainConstants() {
        XCTAssertEqual(gain2, 1 / log2(3.0), accuracy: 1e-15)
        XCTAssertEqual(gain3, 1 / log2(4.0), accuracy: 1e-15)
        XCTAssertEqual(gain4, 1 / log2(5.0), accuracy: 1e-15)
    }

    // MARK: Hand-computed rankings

    func testUserWithHitsAtRanksOneAndThree() {
        // Ranking 0, 1, 2, 3, 4, ...; positives {0, 2, 7, 8}: hits at ranks 1 and 3, two
        // positives (7, 8) outside the top 5.
        var metrics = RankingMetrics(ks: [1, 3, 5], itemCount: 10)
        metrics.add(ascendingRanking, positives: [0, 2, 7, 8])
        let s = metrics.summary()
        XCTAssertEqual(metrics.userCount, 1)

        // K = 1: top [0] -> 1 hit. recall 1/4, precision 1/1, ndcg 1/1 (IDCG of min(4,1)=1 hit).
        XCTAssertEqual(s["hit@1"]!, 1, accuracy: 1e-12)
        XCTAssertEqual(s["recall@1"]!, 0.25, accuracy: 1e-12)
        XCTAssertEqual(s["precision@1"]!, 1, accuracy: 1e-12)
        XCTAssertEqual(s["ndcg@1"]!, 1, accuracy: 1e-12)
        XCTAssertEqual(s["mrr@1"]!, 1, accuracy: 1e-12)

        // K = 3: top [0, 1, 2] -> hits at 1, 3. recall 2/4, precision 2/3,
        // ndcg = (1 + 1/log2(4)) / (1 + 1/log2(3) + 1/log2(4)) = 1.5 / 2.1309297535714575.
        XCTAssertEqual(s["hit@3"]!, 1, accuracy: 1e-12)
        XCTAssertEqual(s["recall@3"]!, 0.5, accuracy: 1e-12)
        XCTAssertEqual(s["precision@3"]!, 2.0 / 3.0, accuracy: 1e-12)
        XCTAssertEqual(s["ndcg@3"]!, 0.7039180890341347, accuracy: 1e-12)
        XCTAssertEqual(s["mrr@3"]!, 1, accuracy: 1e-12)

        // K = 5: still hits at 1, 3. recall 2/4, precision 2/5,
        // ndcg = (1 + 1/log2(4)) / (1 + 1/log2(3) + 1/log2(4) + 1/log2(5)) = 1.5 / 2.5616063116448505.
        XCTAssertEqual(s["recall@5"]!, 0.5, accuracy: 1e-12)
        XCTAssertEqual(s["precision@5"]!, 0.4, accuracy: 1e-12)
        XCTAssertEqual(s["ndcg@5"]!, 0.5855700749881525, accuracy: 1e-12)
        XCTAssertEqual(s["ndcg@5"]!, (1 + gain3) / (1 + gain2 + gain3 + gain4), accuracy: 1e-12)
        XCTAssertEqual(s["mrr@5"]!, 1, accuracy: 1e-12)
    }

    func testUserWithSingleHitAtRankTwoAndAverageOverUsers() {
        // Ranking 9, 8, 7, ...; positives {8}: one hit at rank 2.
        var metrics = RankingMetrics(ks: [1, 3], itemCount: 10)
        metrics.add(descendingRanking, positives: [8])
        var s = metrics.summary()
        // K = 1: top [9], no hit: everything 0.
        for name in ["hit", "recall", "precision", "ndcg", "mrr"] { XCTAssertEqual(s["\(name)@1"], 0, name) }
        // K = 3: hit 1, recall 1/1, precision 1/3, ndcg = (1/log2(3)) / 1 (IDCG of 1 hit), mrr 1/2.
        XCTAssertEqual(s["hit@3"]!, 1, accuracy: 1e-12)
        XCTAssertEqual(s["recall@3"]!, 1, accuracy: 1e-12)
        XCTAssertEqual(s["precision@3"]!, 1.0 / 3.0, accuracy: 1e-12)
        XCTAssertEqual(s["ndcg@3"]!, 0.6309297535714575, accuracy: 1e-12)
        XCTAssertEqual(s["mrr@3"]!, 0.5, accuracy: 1e-12)

        // Add the user of the previous test: averages over the two users.
        metrics.add(ascendingRanking, positives: [0, 2, 7, 8])
        s = metrics.summary()
        XCTAssertEqual(metrics.userCount, 2)
        // ndcg@3 = (0.6309297535714575 + 0.7039180890341347) / 2; mrr@3 = (1/2 + 1) / 2;
        // recall@1 = (0 + 1/4) / 2; hit@1 = (0 + 1) / 2.
        XCTAssertEqual(s["ndcg@3"]!, 0.6674239213027962, accuracy: 1e-12)
        XCTAssertEqual(s["mrr@3"]!, 0.75, accuracy: 1e-12)
        XCTAssertEqual(s["recall@1"]!, 0.125, accuracy: 1e-12)
        XCTAssertEqual(s["hit@1"]!, 0.5, accuracy: 1e-12)
    }

    func testPrecisionDividesByKEvenWithFewerCandidates() {
        // Three items, K = 5: the list holds only 3; the single positive is at rank 1.
        // precision = 1/5 (RecBole divides by K), recall 1/1, ndcg 1.
        var metrics = RankingMetrics(ks: [5], itemCount: 3)
        metrics.add([3, 2, 1], positives: [0])
        let s = metrics.summary()
        XCTAssertEqual(s["precision@5"]!, 0.2, accuracy: 1e-12)
        XCTAssertEqual(s["recall@5"]!, 1, accuracy: 1e-12)
        XCTAssertEqual(s["ndcg@5"]!, 1, accuracy: 1e-12)
    }

    // MARK: Masking and tie-breaking

    func testExcludedTopItemIsNotCountedAndPushesNothingOut() {
        // Item 3 has the highest score but is in the training history; item 5 is second.
        // Masked, item 5 ranks first; positive 6 (third-highest score) ranks second, inside K = 2.
        var scores = [Float](repeating: 0, count: 8)
        scores[3] = 10; scores[5] = 9; scores[6] = 8
        var metrics = RankingMetrics(ks: [2], itemCount: 8)
        metrics.add(scores, exclude: [3], positives: [3, 5, 6])
        let s = metrics.summary()
        // Hits at ranks 1, 2 (item 3 is a positive but can never be ranked):
        // recall 2/3, precision 2/2, ndcg = (1 + 1/log2(3)) / (1 + 1/log2(3)) = 1, mrr 1.
        XCTAssertEqual(s["recall@2"]!, 2.0 / 3.0, accuracy: 1e-12)
        XCTAssertEqual(s["precision@2"]!, 1, accuracy: 1e-12)
        XCTAssertEqual(s["ndcg@2"]!, 1, accuracy: 1e-12)
        XCTAssertEqual(s["mrr@2"]!, 1, accuracy: 1e-12)
        // Coverage@2: items 5 and 6 only, 2 of 8; item 3 never listed.
        XCTAssertEqual(s["coverage@2"]!, 0.25, accuracy: 1e-12)
    }

    func testTiedScoresRankLowerIDFirst() {
        // All scores equal: ranking is 0, 1, 2, ...; positive 1 sits at rank 2, positive 4 at rank 5.
        var metrics = RankingMetrics(ks: [3], itemCount: 6)
        metrics.add([Float](repeating: 1, count: 6), positives: [1, 4])
        let s = metrics.summary()
        // One hit at rank 2: mrr 1/2, recall 1/2, ndcg = (1/log2(3)) / (1 + 1/log2(3)).
        XCTAssertEqual(s["mrr@3"]!, 0.5, accuracy: 1e-12)
        XCTAssertEqual(s["recall@3"]!, 0.5, accuracy: 1e-12)
        XCTAssertEqual(s["ndcg@3"]!, 0.6309297535714575 / 1.6309297535714575, accuracy: 1e-12)
    }

    // MARK: Skipping, coverage and merging

    func testUsersWithoutPositivesAreSkipped() {
        var metrics = RankingMetrics(ks: [2], itemCount: 10)
        metrics.add(ascendingRanking, positives: [])
        XCTAssertEqual(metrics.userCount, 0)
        let empty = metrics.summary()
        XCTAssertEqual(empty["ndcg@2"], 0)
        XCTAssertEqual(empty["coverage@2"], 0, "a skipped user's list must not count towards coverage")

        metrics.add(ascendingRanking, positives: [1])
        metrics.add(descendingRanking, positives: [])
        XCTAssertEqual(metrics.userCount, 1)
        // Only the counted user matters: hit at rank 2, mrr 1/2, not diluted to 1/4.
        XCTAssertEqual(metrics.summary()["mrr@2"]!, 0.5, accuracy: 1e-12)
        XCTAssertEqual(metrics.summary()["coverage@2"]!, 0.2, accuracy: 1e-12)
    }

    func testCoverageCountsDistinctItemsAcrossUsers() {
        // 10 items, three users:
        //   A: ranking 0, 1, 2, ...          top-1 {0}, top-3 {0, 1, 2}
        //   B: ranking 9, 8, 7, ...          top-1 {9}, top-3 {9, 8, 7}
        //   C: ranking 0, 1, ... minus 0, 1  top-1 {2}, top-3 {2, 3, 4}
        var metrics = RankingMetrics(ks: [1, 3], itemCount: 10)
        metrics.add(ascendingRanking, positives: [5])
        metrics.add(descendingRanking, positives: [5])
        metrics.add(ascendingRanking, exclude: [0, 1], positives: [5])
        let s = metrics.summary()
        // coverage@1 = |{0, 9, 2}| / 10; coverage@3 = |{0, 1, 2, 3, 4, 7, 8, 9}| / 10.
        XCTAssertEqual(s["coverage@1"]!, 0.3, accuracy: 1e-12)
        XCTAssertEqual(s["coverage@3"]!, 0.8, accuracy: 1e-12)
    }

    func testMergedShardsEqualSingleAccumulation() {
        var rng = LCG(seed: 77)
        let itemCount = 150, ks = [1, 5, 20]
        var whole = RankingMetrics(ks: ks, itemCount: itemCount)
        var shards = [RankingMetrics(ks: ks, itemCount: itemCount), RankingMetrics(ks: ks, itemCount: itemCount)]
        for user in 0..<60 {
            let scores = (0..<itemCount).map { _ in Float(rng.next(below: 1000)) }
            let history = (0..<itemCount).filter { _ in rng.next(below: 5) == 0 }.map(Int32.init)
            let positives = (0..<itemCount).filter { _ in rng.next(below: 12) == 0 }.map(Int32.init)
            whole.add(scores, exclude: history, positives: positives)
            shards[user % 3 == 0 ? 0 : 1].add(scores, exclude: history, positives: positives)
        }
        var merged = shards[0]
        merged.merge(shards[1])

        XCTAssertEqual(merged.userCount, whole.userCount)
        XCTAssertGreaterThan(whole.userCount, 40)
        let expected = whole.summary(), got = merged.summary()
        XCTAssertEqual(Set(got.keys), Set(expected.keys))
        for (key, value) in expected {
            XCTAssertEqual(got[key]!, value, accuracy: 1e-12, key)
        }
        // Something was actually measured, so the comparison is not 0 == 0.
        XCTAssertGreaterThan(expected["ndcg@20"]!, 0)
        XCTAssertGreaterThan(expected["coverage@20"]!, 0)
    }

    // MARK: Batches and keys

    func testAddUsersOverScoreMatrixMatchesPerUserCalls() {
        let itemCount = 10
        // Rows: user 7 ascending, user 3 descending, user 5 ascending.
        let matrix = ascendingRanking + descendingRanking + ascendingRanking
        let history: [Int32: [Int32]] = [7: [], 3: [9], 5: [0, 1]]
        let held: [Int32: [Int32]] = [7: [0, 2, 7, 8], 3: [8], 5: []]

        var batched = RankingMetrics(ks: [1, 3, 5], itemCount: itemCount)
        matrix.withUnsafeBufferPointer {
            batched.addUsers(scores: $0, rowCount: 3, users: [7, 3, 5],
                             exclude: { history[$0]![...] }, positives: { held[$0]![...] })
        }
        var single = RankingMetrics(ks: [1, 3, 5], itemCount: itemCount)
        single.add(ascendingRanking, exclude: [], positives: [0, 2, 7, 8])
        single.add(descendingRanking, exclude: [9], positives: [8])

        XCTAssertEqual(batched.userCount, 2, "user 5 has no positives")
        XCTAssertEqual(batched.summary(), single.summary())
        // User 3's history masks item 9, so positive 8 ranks first: mrr@1 = (1 + 1) / 2.
        XCTAssertEqual(batched.summary()["mrr@1"]!, 1, accuracy: 1e-12)
    }

    func testSummaryKeysForEveryCutoff() {
        var metrics = RankingMetrics(ks: [10, 20, 10], itemCount: 30)
        XCTAssertEqual(metrics.ks, [10, 20])
        metrics.add((0..<30).map(Float.init), positives: [29])
        let expectedKeys = Set(["ndcg", "recall", "hit", "precision", "mrr", "coverage"].flatMap { name in
            ["\(name)@10", "\(name)@20"]
        })
        XCTAssertEqual(Set(metrics.summary().keys), expectedKeys)
    }
}
