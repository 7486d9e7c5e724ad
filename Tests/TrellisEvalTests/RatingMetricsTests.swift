import XCTest
import TrellisEval

/// RMSE and MAE against hand-computed values; merging and clipping.
final class RatingMetricsTests: XCTestCase {
    // Errors -1, 0, 0.5, -1: Σe² = 2.25, Σ|e| = 2.5 over 4 pairs.
    private let predictions: [Float] = [3, 4, 5.5, 0]
    private let targets: [Float] = [4, 4, 5, 1]

    func testRMSEAndMAEByHand() {
        var m = RatingMetrics()
        m.add(predictions: predictions, targets: targets)
        XCTAssertEqual(m.count, 4)
        XCTAssertEqual(m.rmse, 0.75, accuracy: 1e-12)   // √(2.25 / 4)
        XCTAssertEqual(m.mae, 0.625, accuracy: 1e-12)   // 2.5 / 4
        XCTAssertEqual(m.summary(), ["rmse": m.rmse, "mae": m.mae, "pairs": 4])
    }

    func testClippingToTheScale() {
        var m = RatingMetrics(clip: 1...5)
        m.add(predictions: predictions, targets: targets)
        // Clipped predictions 3, 4, 5, 1: errors -1, 0, 0, 0.
        XCTAssertEqual(m.rmse, 0.5, accuracy: 1e-12)
        XCTAssertEqual(m.mae, 0.25, accuracy: 1e-12)
        XCTAssertEqual(m.clipped(-2), 1)
        XCTAssertEqual(m.clipped(9), 5)
        XCTAssertEqual(m.clipped(2.5), 2.5)
        XCTAssert(m.clipped(.nan).isNaN, "NaN is not clipped into the scale")
    }

    func testShardsMergeToTheWhole() {
        var whole = RatingMetrics(), left = RatingMetrics(), right = RatingMetrics()
        whole.add(predictions: predictions, targets: targets)
        left.add(predictions: Array(predictions[..<1]), targets: Array(targets[..<1]))
        right.add(predictions: Array(predictions[1...]), targets: Array(targets[1...]))
        var merged = left
        merged.merge(right)
        XCTAssertEqual(merged, whole)
        // Sums as another process would send them: three numbers.
        var received = left
        received.merge(RatingSums(count: right.sums.count, squaredError: right.sums.squaredError, absoluteError: right.sums.absoluteError))
        XCTAssertEqual(received.sums, whole.sums)
    }

    func testEmptyIsZeroAndNaNPropagates() {
        XCTAssertEqual(RatingMetrics().rmse, 0)
        XCTAssertEqual(RatingMetrics().mae, 0)
        var m = RatingMetrics(clip: 1...5)
        m.add(prediction: .nan, target: 3)
        XCTAssert(m.rmse.isNaN && m.mae.isNaN, "a NaN prediction must not look like a good one")
    }
}
