import XCTest
import TrellisEval

/// The global-mean and bias baselines on tables small enough to fit by hand.
final class RatingBaselineTests: XCTestCase {
    /// (u0, i0, 5), (u0, i1, 3), (u1, i0, 4): μ = 4.
    private let train = RatedPairs(users: [0, 0, 1], items: [0, 1, 0], ratings: [5, 3, 4])

    private func settings(userReg: Double, itemReg: Double, epochs: Int) -> BiasBaseline.Settings {
        var s = BiasBaseline.Settings()
        s.userReg = userReg; s.itemReg = itemReg; s.epochs = epochs
        return s
    }

    func testSurpriseDefaults() {
        let s = BiasBaseline.Settings()
        XCTAssertEqual([s.userReg, s.itemReg, Double(s.epochs)], [15, 10, 10])
    }

    func testOnePassWithoutRegularisation() {
        let b = BiasBaseline(fitting: train, userCount: 2, itemCount: 2, settings: settings(userReg: 0, itemReg: 0, epochs: 1))
        XCTAssertEqual(b.mean, 4)
        // b_i0 = ((5-4) + (4-4)) / 2 = 0.5, b_i1 = (3-4) / 1 = -1; then
        // b_u0 = ((5-4-0.5) + (3-4+1)) / 2 = 0.25, b_u1 = (4-4-0.5) / 1 = -0.5.
        XCTAssertEqual(b.itemBias, [0.5, -1])
        XCTAssertEqual(b.userBias, [0.25, -0.5])
        XCTAssertEqual(b.predict(user: 0, item: 0), 4.75)
        XCTAssertEqual(b.predict(user: 9, item: 1), 3, "an unseen user has bias 0")
    }

    func testOnePassWithRegularisation() {
        let b = BiasBaseline(fitting: train, userCount: 2, itemCount: 2, settings: settings(userReg: 1, itemReg: 2, epochs: 1))
        // b_i0 = 1 / (2+2) = 0.25, b_i1 = -1 / (2+1); b_u0 = (0.75 + (-1 + 1/3)) / (1+2), b_u1 = -0.25 / (1+1).
        XCTAssertEqual(b.itemBias[0], 0.25, accuracy: 1e-12)
        XCTAssertEqual(b.itemBias[1], -1.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(b.userBias[0], (0.75 - 2.0 / 3) / 3, accuracy: 1e-12)
        XCTAssertEqual(b.userBias[1], -0.125, accuracy: 1e-12)
    }

    func testAdditiveRatingsAreFitExactly() {
        // r = 3 + a_u + b_i on every (user, item), a = [0, 1], b = [0, -1, 1].
        var users: [Int32] = [], items: [Int32] = [], ratings: [Float] = []
        for u in 0..<2 { for i in 0..<3 { users.append(Int32(u)); items.append(Int32(i)); ratings.append(Float(3 + [0, 1][u] + [0, -1, 1][i])) } }
        let b = BiasBaseline(fitting: RatedPairs(users: users, items: items, ratings: ratings), userCount: 2, itemCount: 3,
                             settings: settings(userReg: 0, itemReg: 0, epochs: 10))
        for k in 0..<users.count { XCTAssertEqual(b.predict(user: users[k], item: items[k]), ratings[k], accuracy: 1e-5) }
    }

    func testReportByHand() {
        // (u0, i1, 2), (u1, i1, 3), and user 5 (past the fitted range) on i0 rating 4.
        let test = RatedPairs(users: [0, 1, 5], items: [1, 1, 0], ratings: [2, 3, 4])
        let s = settings(userReg: 0, itemReg: 0, epochs: 1)
        let r = RatingBaselines.evaluate(train: train, test: test, userCount: 2, itemCount: 2, settings: s)
        XCTAssertEqual(r.trainMean, 4)
        // μ = 4 everywhere: errors 2, 1, 0.
        XCTAssertEqual(r.globalMean.rmse, (5.0 / 3).squareRoot(), accuracy: 1e-9)
        XCTAssertEqual(r.globalMean.mae, 1, accuracy: 1e-9)
        // Predictions 4 + 0.25 - 1 = 3.25, 4 - 0.5 - 1 = 2.5, 4 + 0.5 = 4.5: errors 1.25, -0.5, 0.5.
        XCTAssertEqual(r.bias.rmse, (2.0625 / 3).squareRoot(), accuracy: 1e-9)
        XCTAssertEqual(r.bias.mae, 0.75, accuracy: 1e-9)
        // Clipped to 1...4, the 4.5 becomes 4: errors 1.25, -0.5, 0.
        let clipped = RatingBaselines.evaluate(train: train, test: test, userCount: 2, itemCount: 2, clip: 1...4, settings: s)
        XCTAssertEqual(clipped.bias.rmse, (1.8125 / 3).squareRoot(), accuracy: 1e-9)
        XCTAssertEqual(clipped.globalMean.sums, r.globalMean.sums, "the mean is on the scale: clipping changes nothing")
    }
}
