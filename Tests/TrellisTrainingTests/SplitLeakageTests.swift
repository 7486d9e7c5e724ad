import XCTest
import TrellisCore
import TrellisData
import TrellisTraining
import TestSupport

/// The 8:1:1 split of MovieLens-100K that the ranking runs train on: nothing leaks between
/// parts, and the masks evaluation uses are the right unions.
final class SplitLeakageTests: XCTestCase {
    func testSplitHasNoLeakageAndMasksAreRight() throws {
        var cfg = TrainingConfig()
        cfg.data.path = try TestData.movieLens100K()
        let d = try PreparedDataset.load(cfg.data, seed: cfg.seed)
        XCTAssertEqual(d.split.train.count + d.split.valid.count + d.split.test.count, 100_000)
        for user in 0..<d.userCount {
            let train = Set(d.trainItems.row(user)), valid = Set(d.validItems.row(user)), test = Set(d.testItems.row(user))
            XCTAssert(train.isDisjoint(with: test) && train.isDisjoint(with: valid) && valid.isDisjoint(with: test), "user \(user)")
            XCTAssertEqual(Set(d.trainAndValidItems.row(user)), train.union(valid))
        }
    }
}
