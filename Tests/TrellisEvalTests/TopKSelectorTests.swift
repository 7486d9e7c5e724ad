import XCTest
import TrellisEval

final class TopKSelectorTests: XCTestCase {
    // MARK: Ordering

    func testOrdersByScoreDescending() {
        XCTAssertEqual(topK(3, [0.1, 0.9, 0.5, 0.7, -2]), [1, 3, 2])
    }

    func testTiesBreakByLowerItemID() {
        // Scores 2 at ids 1, 2, 4; scores 1 at ids 0, 3.
        XCTAssertEqual(topK(5, [1, 2, 2, 1, 2]), [1, 2, 4, 0, 3])
        XCTAssertEqual(topK(2, [1, 2, 2, 1, 2]), [1, 2])
        // All equal: the lowest ids win, however many are asked for.
        XCTAssertEqual(topK(4, [Float](repeating: 0.5, count: 100)), [0, 1, 2, 3])
        // A late equal-score item must not displace an earlier one.
        XCTAssertEqual(topK(1, [3, 1, 3]), [0])
    }

    func testNaNRanksLowestWithoutCrashing() {
        let nan = Float.nan
        XCTAssertEqual(topK(3, [nan, 1, nan, -.infinity, 0]), [1, 4, 3])
        // Heap full of NaNs first: any number, even -inf, must still get in.
        XCTAssertEqual(topK(3, [nan, nan, nan, 1, -.infinity]), [3, 4, 0])
        XCTAssertEqual(topK(2, [nan, nan, nan]), [0, 1])
    }

    // MARK: Exclusion

    func testExcludedItemsNeverAppearAndPushNothingOut() {
        let scores: [Float] = [5, 9, 1, 8, 7, 6]
        XCTAssertEqual(topK(3, scores), [1, 3, 4])
        // Excluding the best item moves the others up; the 4th (id 5) fills the gap.
        XCTAssertEqual(topK(3, scores, exclude: [1]), [3, 4, 5])
        XCTAssertEqual(topK(3, scores, exclude: [1, 3, 4]), [5, 0, 2])
        // Duplicates and out-of-range ids in the history are ignored.
        XCTAssertEqual(topK(3, scores, exclude: [-1, 1, 1, 3, 40]), [4, 5, 0])
        // Everything excluded: nothing to rank.
        XCTAssertEqual(topK(3, scores, exclude: [0, 1, 2, 3, 4, 5]), [])
    }

    func testKLargerThanCandidatesReturnsAllCandidates() {
        XCTAssertEqual(topK(10, [0.3, 0.1, 0.2], exclude: [1]), [0, 2])
        XCTAssertEqual(topK(0, [0.3, 0.1, 0.2]), [])
        XCTAssertEqual(topK(4, []), [])
    }

    // MARK: Against a full sort

    func testMatchesFullSortOnRandomScores() {
        var rng = LCG(seed: 2024)
        for trial in 0..<60 {
            let itemCount = 1 + rng.next(below: 400)
            // Coarse scores in some trials force many ties; a few NaNs in others.
            let coarse = trial % 3 == 0
            let scores: [Float] = (0..<itemCount).map { _ in
                if trial % 5 == 1 && rng.next(below: 20) == 0 { return .nan }
                return coarse ? Float(rng.next(below: 7)) : Float(rng.next(below: 1_000_000)) / 1_000_000 - 0.5
            }
            let exclude = (0..<itemCount).filter { _ in rng.next(below: 4) == 0 }.map(Int32.init)
            let candidateCount = itemCount - exclude.count
            var selector = TopKSelector(k: 0)
            for k in [1, 5, 20, max(candidateCount, 1), candidateCount + 7] {
                if selector.k != k { selector = TopKSelector(k: k) }
                // Selecting twice with one selector checks the storage reuse as well.
                for _ in 0..<2 {
                    let got = scores.withUnsafeBufferPointer { selector.select(scores: $0, exclude: exclude) }
                    XCTAssertEqual(got, referenceTopK(k, scores: scores, exclude: exclude),
                                   "trial \(trial), items \(itemCount), k \(k)")
                }
            }
        }
    }
}
