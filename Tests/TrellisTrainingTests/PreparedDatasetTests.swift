import XCTest
import TrellisData
import TrellisTensor
import TrellisTraining
import TestSupport

/// Every split kind reachable from a config, on small files.
final class PreparedDatasetTests: XCTestCase {
    private var dir: URL!

    override func setUpWithError() throws {
        dir = try TestData.temporaryDirectory()
    }

    /// 4 users x 5 interactions at increasing timestamps, MovieLens u.data layout.
    private func writeUData(_ name: String, users: ClosedRange<Int> = 1...4, start: Int = 0) throws -> String {
        var lines: [String] = []
        for u in users { for k in 0..<5 { lines.append("\(u)\t\(10 + (u + k) % 7)\t4\t\(1000 + start + u * 10 + k)") } }
        let path = dir.appendingPathComponent(name).path
        try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func testLeaveOneOutFromConfig() throws {
        var settings = DataSettings()
        settings.path = try writeUData("u.data")
        settings.split = .leaveOneOut
        let d = try PreparedDataset.load(settings, seed: 1)
        XCTAssertEqual(d.split.train.count, 12)
        XCTAssertEqual(d.split.valid.count, 4)
        XCTAssertEqual(d.split.test.count, 4)
        XCTAssertEqual(d.split.test.timestamps.sorted(), [1014, 1024, 1034, 1044], "each user's latest goes to test")
    }

    func testTimeCutoffFromConfig() throws {
        let cfg = try TrainingConfig.parse(yaml: """
        data: {path: \(try writeUData("u.data")), split: time, valid_from: 1023, test_from: 1033}
        """)
        let d = try PreparedDataset.load(cfg.data, seed: 1)
        XCTAssert(d.split.train.timestamps.allSatisfy { $0 < 1023 })
        XCTAssert(d.split.valid.timestamps.allSatisfy { $0 >= 1023 && $0 < 1033 })
        XCTAssert(d.split.test.timestamps.allSatisfy { $0 >= 1033 })
        XCTAssertEqual(d.split.train.count + d.split.valid.count + d.split.test.count, 20)
    }

    func testFixedFilesShareIdsAndMaskTrainItems() throws {
        let train = try writeUData("u1.base", users: 1...4)
        let test = try writeUData("u1.test", users: 3...5, start: 500)   // user 5 appears only in test
        let cfg = try TrainingConfig.parse(yaml: "data: {split: files, train_file: \(train), test_file: \(test)}")
        let d = try PreparedDataset.load(cfg.data, seed: 1)
        XCTAssertEqual(d.split.train.count, 20)
        XCTAssertEqual(d.split.valid.count, 0)
        XCTAssertEqual(d.split.test.count, 15)
        XCTAssertEqual(d.userCount, 5, "a user first seen in the test file still gets an id")
        XCTAssertEqual(d.trainItems.rowCount, d.testItems.rowCount)
        let user5 = Int(d.split.test.userIDs.id(of: "5")!)
        XCTAssertEqual(d.trainItems.rowLength(user5), 0)
        XCTAssertGreaterThan(d.testItems.rowLength(user5), 0)

        // Users 3 and 4 rate the same items in both files, so with their train items masked
        // none of their test items can be recommended; user 5 (no train items) gets all 7 in
        // its top 10. Whatever the scores: hit@10 = 1/3 with masking, 1 without.
        for raw in ["3", "4"] {
            let u = Int(d.split.test.userIDs.id(of: raw)!)
            XCTAssertEqual(Array(d.testItems.row(u)), Array(d.trainItems.row(u)), "user \(raw) repeats its train items")
            XCTAssertEqual(Array(d.trainAndValidItems.row(u)), Array(d.trainItems.row(u)), "user \(raw)'s test mask is its train items")
        }
        let ones = (users: Tensor(shape: [d.userCount, 1], repeating: 1), items: Tensor(shape: [d.itemCount, 1], repeating: 1))
        let metrics = d.evaluate(.test, users: ones.users, items: ones.items, ks: [10])
        XCTAssertEqual(metrics["users"], 3)
        XCTAssertEqual(metrics["hit@10"] ?? -1, 1.0 / 3, accuracy: 1e-9, "train items are masked when ranking for test")

    }

    func testMissingFileIsAClearError() {
        var settings = DataSettings()
        settings.path = dir.appendingPathComponent("nope.inter").path
        XCTAssertThrowsError(try PreparedDataset.load(settings, seed: 1)) { error in
            XCTAssert("\(error)".contains("nope.inter"), "\(error)")
        }
    }
}
