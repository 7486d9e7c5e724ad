import XCTest
@testable import TrellisData
import TrellisCore

/// The `rows` split: a block of rows in file order is the test part (MovieLens u1…u5).
final class RowBlockSplitTests: XCTestCase {
    /// Ten rows u0 i0, u1 i1, u2 i2, u0 i3, … with rating 1 + row % 5 and timestamp 100 - row,
    /// so neither time nor id order agrees with file order.
    private func table(rows: Int = 10, users: Int = 3) -> InteractionTable {
        var t = makeTable((0..<rows).map { ("u\($0 % users)", "i\($0)", Double(100 - $0)) })
        t.ratings = (0..<rows).map { Float(1 + $0 % 5) }
        return t
    }

    /// Source row of each row of `part`, recovered from its item (`i<row>`).
    private func sourceRows(_ part: InteractionTable) -> [Int] {
        part.items.map { Int(part.itemIDs.raw(of: $0).dropFirst())! }
    }

    func testFirstBlockIsTestInFileOrderAndRatingsAreKept() {
        let source = table()
        let split = DatasetSplit.rowBlock(source, testRows: 0..<4)
        XCTAssertEqual(sourceRows(split.test), [0, 1, 2, 3])
        XCTAssertEqual(sourceRows(split.train), [4, 5, 6, 7, 8, 9])
        XCTAssertEqual(split.valid.count, 0, "no valid part by default")
        XCTAssertEqual(split.test.ratings, [1, 2, 3, 4])
        XCTAssertEqual(split.train.ratings, [5, 1, 2, 3, 4, 5])
        XCTAssertEqual(split.train.timestamps, [96, 95, 94, 93, 92, 91])
        for part in [split.train, split.valid, split.test] {
            XCTAssertEqual(part.userIDs, source.userIDs)
            XCTAssertEqual(part.itemIDs, source.itemIDs)
        }
    }

    func testMiddleBlockLikeU2() {
        let split = DatasetSplit.rowBlock(table(), testRows: 4..<7)
        XCTAssertEqual(sourceRows(split.test), [4, 5, 6])
        XCTAssertEqual(sourceRows(split.train), [0, 1, 2, 3, 7, 8, 9])
        XCTAssertEqual(DatasetSplit.rowBlock(table(), testRows: 10..<10).test.count, 0, "an empty block at the end is allowed")
    }

    func testValidIsCarvedPerUserFromTrainOnlyAndSeeded() {
        let source = table(rows: 60, users: 4)
        let plain = DatasetSplit.rowBlock(source, testRows: 0..<20)
        let a = DatasetSplit.rowBlock(source, testRows: 0..<20, validRatio: 0.25, seed: 7)
        XCTAssertEqual(sourceRows(a.test), Array(0..<20), "the test part does not depend on the valid carve")
        XCTAssertEqual(Set(sourceRows(a.train) + sourceRows(a.valid)), Set(20..<60))
        XCTAssertEqual(a.train.count + a.valid.count, 40)
        XCTAssertEqual(sourceRows(a.valid), sourceRows(a.valid).sorted(), "valid keeps file order")
        XCTAssertEqual(sourceRows(a.train), sourceRows(a.train).sorted(), "train keeps file order")
        // 10 train rows per user, a quarter of each -> Int(2.5) = 2 per user.
        for user in 0..<4 { XCTAssertEqual(a.valid.users.filter { $0 == Int32(user) }.count, 2, "user \(user)") }
        let again = DatasetSplit.rowBlock(source, testRows: 0..<20, validRatio: 0.25, seed: 7)
        XCTAssertEqual(sourceRows(again.valid), sourceRows(a.valid), "same seed, same carve")
        let other = DatasetSplit.rowBlock(source, testRows: 0..<20, validRatio: 0.25, seed: 8)
        XCTAssertNotEqual(sourceRows(other.valid), sourceRows(a.valid), "another seed, another carve")
        XCTAssertEqual(sourceRows(plain.train), Array(20..<60))
    }

    func testAUserWithOneTrainRowKeepsIt() {
        // u0 has rows 0, 3, 6, 9; with rows 0..<9 in test its only train row is 9.
        let split = DatasetSplit.rowBlock(table(), testRows: 0..<9, validRatio: 0.5, seed: 1)
        XCTAssertEqual(sourceRows(split.train), [9])
        XCTAssertEqual(split.valid.count, 0)
    }

    /// RecBole's ml-100k.inter keeps u.data's row order, so its first 20,000 rows are u1.test.
    func testRealML100KFirstRowsAreUDataAndU1Counts() throws {
        let source = try InteractionLoader.load(path: try ml100kPath("inter"))
        XCTAssertEqual(source.count, 100_000)
        // u.data's first five lines, in order.
        let expected: [(String, String, Float, Double)] = [("196", "242", 3, 881250949), ("186", "302", 3, 891717742),
                                                           ("22", "377", 1, 878887116), ("244", "51", 2, 880606923),
                                                           ("166", "346", 1, 886397596)]
        for (row, e) in expected.enumerated() {
            XCTAssertEqual(source.userIDs.raw(of: source.users[row]), e.0, "row \(row)")
            XCTAssertEqual(source.itemIDs.raw(of: source.items[row]), e.1, "row \(row)")
            XCTAssertEqual(source.ratings[row], e.2, "row \(row)")
            XCTAssertEqual(source.timestamps[row], e.3, "row \(row)")
        }
        let u1 = DatasetSplit.rowBlock(source, testRows: 0..<20_000)
        XCTAssertEqual(u1.train.count, 80_000)
        XCTAssertEqual(u1.test.count, 20_000)
        // MovieLens' own u1.base / u1.test: 943 users and 1650 items / 459 users and 1410 items.
        XCTAssertEqual(Set(u1.train.users).count, 943)
        XCTAssertEqual(Set(u1.train.items).count, 1650)
        XCTAssertEqual(Set(u1.test.users).count, 459)
        XCTAssertEqual(Set(u1.test.items).count, 1410)
        XCTAssertEqual(u1.test.ratings[0...4], [3, 3, 1, 2, 1])
        let trainMean = u1.train.ratings.reduce(0.0) { $0 + Double($1) } / 80_000
        XCTAssertEqual(trainMean, 3.52835, accuracy: 1e-5, "u1.base's mean rating")
    }
}
