import XCTest
@testable import TrellisData

final class InteractionLoaderTests: XCTestCase {
    // MARK: Formats

    func testRecBoleAtomic() throws {
        let dir = try FixtureDirectory(); defer { dir.remove() }
        let path = try dir.file("tiny.inter", """
            user_id:token\titem_id:token\trating:float\ttimestamp:float
            u1\ti1\t4\t100
            u2\ti1\t3.5\t200
            u1\ti2\t5\t50

            """)
        let table = try InteractionLoader.load(path: path)
        XCTAssertEqual(table.count, 3)
        XCTAssertEqual(table.users, [0, 1, 0])
        XCTAssertEqual(table.items, [0, 0, 1])
        XCTAssertEqual(table.ratings, [4, 3.5, 5])
        XCTAssertEqual(table.timestamps, [100, 200, 50])
        XCTAssertEqual(table.userIDs.raws, ["u1", "u2"])
        XCTAssertEqual(table.itemIDs.raw(of: 1), "i2")
        XCTAssertEqual(table.userCount, 2)
        XCTAssertEqual(table.itemCount, 2)
    }

    func testAtomicWithoutRatingOrTimestampDefaults() throws {
        let dir = try FixtureDirectory(); defer { dir.remove() }
        // Columns in another order plus an extra token_seq column.
        let path = try dir.file("x.inter", "item_id:token\ttags:token_seq\tuser_id:token\na\tx y\t7\nb\t\t8\n")
        let table = try InteractionLoader.load(path: path)
        XCTAssertEqual(table.userIDs.raws, ["7", "8"])
        XCTAssertEqual(table.itemIDs.raws, ["a", "b"])
        XCTAssertEqual(table.ratings, [1, 1])
        XCTAssertEqual(table.timestamps, [0, 1])
    }

    func testMovieLensUData() throws {
        let dir = try FixtureDirectory(); defer { dir.remove() }
        let path = try dir.file("u.data", "196\t242\t3\t881250949\n186\t302\t3\t891717742\n196\t302\t1\t1")
        let table = try InteractionLoader.load(path: path)
        XCTAssertEqual(InteractionFormat.infer(path: path), .movielensUData)
        XCTAssertEqual(table.count, 3)
        XCTAssertEqual(table.users, [0, 1, 0])
        XCTAssertEqual(table.items, [0, 1, 1])
        XCTAssertEqual(table.timestamps, [881250949, 891717742, 1])
    }

    func testMovieLensDat() throws {
        let dir = try FixtureDirectory(); defer { dir.remove() }
        let path = try dir.file("ratings.dat", "1::1193::5::978300760\r\n1::661::3::978302109\r\n2::1193::4::978298413\r\n")
        let table = try InteractionLoader.load(path: path)
        XCTAssertEqual(table.count, 3)
        XCTAssertEqual(table.itemIDs.raws, ["1193", "661"])
        XCTAssertEqual(table.ratings, [5, 3, 4])
        XCTAssertEqual(table.timestamps[2], 978298413)
    }

    func testMovieLensCSV() throws {
        let dir = try FixtureDirectory(); defer { dir.remove() }
        let path = try dir.file("ratings.csv", "userId,movieId,rating,timestamp\n1,31,2.5,1260759144\n1,1029,3.0,1260759179\n")
        let table = try InteractionLoader.load(path: path)
        XCTAssertEqual(table.count, 2)
        XCTAssertEqual(table.ratings, [2.5, 3.0])
        XCTAssertEqual(table.itemIDs.raws, ["31", "1029"])
    }

    func testFormatInference() {
        XCTAssertEqual(InteractionFormat.infer(path: "/d/ml-100k.inter"), .recboleAtomic)
        XCTAssertEqual(InteractionFormat.infer(path: "u1.base"), .movielensUData)
        XCTAssertEqual(InteractionFormat.infer(path: "x/u3.test"), .movielensUData)
        XCTAssertEqual(InteractionFormat.infer(path: "ml-1m/ratings.dat"), .movielensDat)
        XCTAssertEqual(InteractionFormat.infer(path: "ratings.csv"), .movielensCSV)
        XCTAssertNil(InteractionFormat.infer(path: "notes.txt"))
    }

    // MARK: Line endings

    func testCRLFAndMissingFinalNewlineGiveSameTable() throws {
        let dir = try FixtureDirectory(); defer { dir.remove() }
        let rows = ["user_id:token\titem_id:token\trating:float", "1\t2\t3", "4\t5\t1.5"]
        let unix = try InteractionLoader.load(path: try dir.file("a.inter", rows.joined(separator: "\n") + "\n"))
        let crlf = try InteractionLoader.load(path: try dir.file("b.inter", rows.joined(separator: "\r\n") + "\r\n"))
        let bare = try InteractionLoader.load(path: try dir.file("c.inter", rows.joined(separator: "\r\n")))
        for table in [crlf, bare] {
            XCTAssertEqual(table.users, unix.users)
            XCTAssertEqual(table.itemIDs, unix.itemIDs)
            XCTAssertEqual(table.ratings, [3, 1.5])
        }
        XCTAssertEqual(crlf.itemIDs.raws, ["2", "5"], "CR must not stick to the last field")
    }

    // MARK: Shared maps

    func testPassingMapsSharesIDs() throws {
        let dir = try FixtureDirectory(); defer { dir.remove() }
        let train = try InteractionLoader.load(path: try dir.file("u1.base", "1\t10\t5\t1\n2\t20\t4\t2\n"))
        let test = try InteractionLoader.load(path: try dir.file("u1.test", "2\t10\t3\t3\n3\t30\t1\t4\n"),
                                              userIDs: train.userIDs, itemIDs: train.itemIDs)
        XCTAssertEqual(test.users, [1, 2])
        XCTAssertEqual(test.items, [0, 2])
        XCTAssertEqual(test.userIDs.raws, ["1", "2", "3"])
        XCTAssertEqual(train.userIDs.raws, ["1", "2"], "the caller's maps are not mutated")
    }

    func testFailedLoadLeavesNothingBehind() throws {
        let dir = try FixtureDirectory(); defer { dir.remove() }
        let base = IDMap(["a"])
        let path = try dir.file("u.data", "b\tx\t1\t1\nc\ty\tbad\t1\n")
        XCTAssertNotNil(expectDataError { try InteractionLoader.load(path: path, userIDs: base) })
        XCTAssertEqual(base.raws, ["a"])
    }

    // MARK: Real data

    func testRealML100K() throws {
        let table = try InteractionLoader.load(path: try ml100kPath("inter"))
        XCTAssertEqual(table.count, 100_000)
        XCTAssertEqual(table.userCount, 943)
        XCTAssertEqual(table.itemCount, 1682)
        XCTAssertEqual(table.userIDs.raw(of: table.users[0]), "196")
        XCTAssertEqual(table.itemIDs.raw(of: table.items[0]), "242")
        XCTAssertEqual(table.ratings[0], 3)
        XCTAssertEqual(table.timestamps[0], 881250949)
        XCTAssertEqual(Set(table.ratings), [1, 2, 3, 4, 5])
        let seen = table.itemsByUser()
        XCTAssertEqual(seen.rowCount, 943)
        XCTAssertEqual(seen.nnz, 100_000, "ml-100k has no repeated (user, item) pairs")
    }
}
