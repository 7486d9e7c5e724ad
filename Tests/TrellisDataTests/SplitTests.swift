import XCTest
@testable import TrellisData
import TrellisCore

final class SplitTests: XCTestCase {
    /// Users u0..u(k-1) where user i has `sizes[i]` rows with distinct items and times.
    private func table(sizes: [Int]) -> InteractionTable {
        var rows: [(String, String, Double)] = []
        for (user, n) in sizes.enumerated() {
            for k in 0..<n { rows.append(("u\(user)", "i\(k)", Double(k * 7 % (n + 3)))) }
        }
        // Interleave users so per-user grouping is actually exercised.
        var generator = SeededGenerator(seed: 99)
        generator.shuffle(&rows)
        return makeTable(rows)
    }

    /// (user, item, timestamp, rating) keys of every row of `t`.
    private func keys(_ t: InteractionTable) -> [String] {
        (0..<t.count).map { "\(t.userIDs.raw(of: t.users[$0]))|\(t.itemIDs.raw(of: t.items[$0]))|\(t.timestamps[$0])" }
    }

    private func assertPartition(_ split: DatasetSplit, of source: InteractionTable,
                                 file: StaticString = #filePath, line: UInt = #line) {
        let parts = [split.train, split.valid, split.test]
        let all = parts.flatMap(keys)
        XCTAssertEqual(all.sorted(), keys(source).sorted(), "parts must partition the source", file: file, line: line)
        XCTAssertEqual(Set(keys(split.train)).intersection(keys(split.test)), [], file: file, line: line)
        XCTAssertEqual(Set(keys(split.train)).intersection(keys(split.valid)), [], file: file, line: line)
        XCTAssertEqual(Set(keys(split.valid)).intersection(keys(split.test)), [], file: file, line: line)
        for part in parts {
            XCTAssertEqual(part.userIDs, source.userIDs, "shared user map", file: file, line: line)
            XCTAssertEqual(part.itemIDs, source.itemIDs, "shared item map", file: file, line: line)
        }
    }

    // MARK: Ratio rounding

    func testRatioCountsFollowRecBoleRounding() {
        let r = [0.8, 0.1, 0.1]
        XCTAssertEqual(DatasetSplit.ratioCounts(total: 10, ratios: r), [8, 1, 1])
        XCTAssertEqual(DatasetSplit.ratioCounts(total: 5, ratios: r), [3, 1, 1])
        XCTAssertEqual(DatasetSplit.ratioCounts(total: 3, ratios: r), [1, 1, 1])
        XCTAssertEqual(DatasetSplit.ratioCounts(total: 2, ratios: r), [1, 0, 1], "test is served first")
        XCTAssertEqual(DatasetSplit.ratioCounts(total: 1, ratios: r), [1, 0, 0])
        XCTAssertEqual(DatasetSplit.ratioCounts(total: 0, ratios: r), [0, 0, 0])
        XCTAssertEqual(DatasetSplit.ratioCounts(total: 23, ratios: r), [19, 2, 2])
        XCTAssertEqual(DatasetSplit.ratioCounts(total: 10, ratios: [8, 1, 1]), [8, 1, 1], "ratios are normalised")
        XCTAssertEqual(DatasetSplit.ratioCounts(total: 7, ratios: [0.7, 0.3]), [5, 2])
    }

    // MARK: Random ratio

    func testRandomRatioPerUserCountsAndPartition() {
        let sizes = [10, 5, 3, 2, 1, 23]
        let source = table(sizes: sizes)
        let split = DatasetSplit.randomRatio(source, ratios: [0.8, 0.1, 0.1], seed: 7)
        assertPartition(split, of: source)
        for (user, n) in sizes.enumerated() {
            let id = source.userIDs.id(of: "u\(user)")!
            let counts = [split.train, split.valid, split.test].map { part in part.users.filter { $0 == id }.count }
            XCTAssertEqual(counts, DatasetSplit.ratioCounts(total: n, ratios: [0.8, 0.1, 0.1]), "user \(user)")
        }
        XCTAssertEqual(split.train.count, 8 + 3 + 1 + 1 + 1 + 19)
    }

    func testRandomRatioIsDeterministicPerSeed() {
        let source = table(sizes: [40, 30, 20])
        let a = DatasetSplit.randomRatio(source, ratios: [0.8, 0.1, 0.1], seed: 1)
        let b = DatasetSplit.randomRatio(source, ratios: [0.8, 0.1, 0.1], seed: 1)
        let c = DatasetSplit.randomRatio(source, ratios: [0.8, 0.1, 0.1], seed: 2)
        XCTAssertEqual(keys(a.test), keys(b.test))
        XCTAssertEqual(keys(a.valid), keys(b.valid))
        XCTAssertNotEqual(keys(a.test), keys(c.test), "another seed picks other rows")
        XCTAssertEqual(a.test.count, c.test.count)
    }

    func testRandomRatioTwoWayAndUngrouped() {
        let source = table(sizes: [10, 10])
        let twoWay = DatasetSplit.randomRatio(source, ratios: [0.7, 0.3], seed: 3)
        assertPartition(twoWay, of: source)
        XCTAssertEqual(twoWay.valid.count, 0)
        XCTAssertEqual(twoWay.test.count, 6)
        let global = DatasetSplit.randomRatio(source, ratios: [0.8, 0.1, 0.1], seed: 3, groupByUser: false)
        assertPartition(global, of: source)
        XCTAssertEqual([global.train.count, global.valid.count, global.test.count], [16, 2, 2])
    }

    // MARK: Leave one out

    func testLeaveOneOutTakesLatestTimestamps() {
        let source = makeTable([
            ("a", "x", 30), ("a", "y", 10), ("a", "z", 50), ("a", "w", 20),
            ("b", "x", 5), ("b", "y", 5),   // tie: row order decides, later row is "later"
            ("c", "z", 1),
        ])
        let split = DatasetSplit.leaveOneOut(source)
        assertPartition(split, of: source)
        XCTAssertEqual(keys(split.test).sorted(), ["a|z|50.0", "b|y|5.0"])
        XCTAssertEqual(keys(split.valid), ["a|x|30.0"])
        XCTAssertEqual(keys(split.train).sorted(), ["a|w|20.0", "a|y|10.0", "b|x|5.0", "c|z|1.0"])
    }

    // MARK: Time cutoff

    func testTimeCutoff() {
        let source = makeTable([("a", "x", 1), ("a", "y", 5), ("b", "x", 10), ("b", "z", 4.9), ("c", "y", 11)])
        let split = DatasetSplit.timeCutoff(source, validFrom: 5, testFrom: 10)
        assertPartition(split, of: source)
        XCTAssertEqual(split.train.timestamps, [1, 4.9])
        XCTAssertEqual(split.valid.timestamps, [5])
        XCTAssertEqual(split.test.timestamps, [10, 11])
    }

    // MARK: Fixed files

    func testFixedFilesShareAndExtendMaps() throws {
        let dir = try FixtureDirectory(); defer { dir.remove() }
        let train = try dir.file("u1.base", "1\t10\t5\t1\n2\t20\t4\t2\n1\t20\t3\t3\n")
        let test = try dir.file("u1.test", "2\t10\t3\t4\n3\t30\t1\t5\n")
        let split = try DatasetSplit.fixedFiles(train: train, test: test)
        XCTAssertEqual(split.train.count, 3)
        XCTAssertEqual(split.valid.count, 0)
        XCTAssertEqual(split.test.count, 2)
        XCTAssertEqual(split.train.userIDs.raws, ["1", "2", "3"], "test-only user appended")
        XCTAssertEqual(split.train.itemIDs, split.test.itemIDs)
        XCTAssertEqual(split.valid.userIDs, split.test.userIDs)
        XCTAssertEqual(split.test.users, [1, 2])
        XCTAssertEqual(split.test.items, [0, 2])
        XCTAssertEqual(split.train.users, [0, 1, 0])
    }

    func testRealML100KSplitFollowsPerUserRatiosAndSeed() throws {
        let source = try InteractionLoader.load(path: try ml100kPath("inter"))
        let ratios = [0.8, 0.1, 0.1]
        let split = DatasetSplit.randomRatio(source, ratios: ratios, seed: 2020)
        assertPartition(split, of: source)
        // Every user's rows are cut 8:1:1 with RecBole's rounding, not just the totals.
        var counts = [[Int]](repeating: [0, 0, 0], count: source.userCount)
        for (k, part) in [split.train, split.valid, split.test].enumerated() { for u in part.users { counts[Int(u)][k] += 1 } }
        let byUser = source.rowsByUser()
        let wrong = (0..<byUser.rowCount).filter { counts[$0] != DatasetSplit.ratioCounts(total: byUser.rowLength($0), ratios: ratios) }
        XCTAssertEqual(wrong, [], "users whose rows are not cut 8:1:1")
        XCTAssert(counts.allSatisfy { $0[1] >= 1 && $0[2] >= 1 }, "every ml-100k user (20+ ratings) has valid and test rows")
        // The same seed picks the same rows; another seed other rows (of the same sizes).
        let again = DatasetSplit.randomRatio(source, ratios: ratios, seed: 2020)
        XCTAssertEqual(keys(again.test), keys(split.test))
        XCTAssertEqual(keys(again.valid), keys(split.valid))
        let other = DatasetSplit.randomRatio(source, ratios: ratios, seed: 2021)
        XCTAssertEqual(other.test.count, split.test.count)
        let shared = Set(keys(other.test)).intersection(keys(split.test)).count
        XCTAssertLessThan(shared, split.test.count / 2, "another seed shares only chance overlap (about 10%)")

        let loo = DatasetSplit.leaveOneOut(source)
        assertPartition(loo, of: source)
        XCTAssertEqual(loo.test.count, 943, "every ml-100k user has at least 20 ratings")
        XCTAssertEqual(loo.valid.count, 943)
        XCTAssertEqual(Set(loo.test.users).count, 943, "one test row per user")
    }
}

/// Seed 003's split by whole users.
final class UserSplitTests: XCTestCase {
    /// 50 users with 1 to 5 rows each: every user's rows land in one part, the parts hold
    /// ⌊50·0.8⌋ = 40, ⌊50·0.9⌋ − 40 = 5 and 5 users, the same seed gives the same split and
    /// another seed another one, and two ratios leave validation empty.
    func testWholeUsersAreCutByRatio() {
        let table = makeTable((0..<50).flatMap { u in (0..<(1 + u % 5)).map { k in ("u\(u)", "i\((u + k) % 7)", Double(k)) } })
        let split = DatasetSplit.byUser(table, ratios: [0.8, 0.1, 0.1], seed: 3)
        let parts = [split.train, split.valid, split.test].map { Set($0.users) }
        XCTAssertEqual(parts.map(\.count), [40, 5, 5])
        XCTAssert(parts[0].isDisjoint(with: parts[1]) && parts[0].isDisjoint(with: parts[2]) && parts[1].isDisjoint(with: parts[2]))
        XCTAssertEqual(split.train.count + split.valid.count + split.test.count, table.count, "every row of a user goes with them")
        XCTAssertEqual(DatasetSplit.byUser(table, ratios: [0.8, 0.1, 0.1], seed: 3).test.users, split.test.users)
        XCTAssertNotEqual(Set(DatasetSplit.byUser(table, ratios: [0.8, 0.1, 0.1], seed: 4).test.users), parts[2])
        let two = DatasetSplit.byUser(table, ratios: [0.9, 0.1], seed: 3)
        XCTAssertEqual([Set(two.train.users).count, two.valid.count, Set(two.test.users).count], [45, 0, 5])
    }
}
