import XCTest
@testable import TrellisData

/// Every kind of malformed input must throw a `DataError` pointing at the right place.
final class MalformedInputTests: XCTestCase {
    private let header = "user_id:token\titem_id:token\trating:float\ttimestamp:float"

    // MARK: Rows

    func testTooFewFields() throws {
        let error = try loadError("a.inter", "\(header)\n1\t2\t3\t4\n1\t2\t3\n")
        XCTAssertEqual(error?.kind, .wrongFieldCount)
        XCTAssertEqual(error?.line, 3)
        XCTAssertEqual(error?.column, 4)
        XCTAssertEqual(error?.field, "timestamp:float")
        XCTAssertEqual(error?.expected, "4 fields")
        XCTAssertEqual(error?.found, "3")
    }

    func testTooManyFields() throws {
        let error = try loadError("u.data", "1\t2\t3\t4\n5\t6\t7\t8\t9\n")
        XCTAssertEqual(error?.kind, .wrongFieldCount)
        XCTAssertEqual(error?.line, 2)
        XCTAssertEqual(error?.column, 5)
        XCTAssertEqual(error?.found, "5")
    }

    func testNonNumericRating() throws {
        let error = try loadError("ml-100k.inter", "\(header)\n1\t2\t3\t4\n1\t2\tabc\t4\n")
        XCTAssertEqual(error?.kind, .invalidValue)
        XCTAssertEqual(error?.line, 3)
        XCTAssertEqual(error?.column, 3)
        XCTAssertEqual(error?.field, "rating:float")
        XCTAssertEqual(error?.expected, "a number")
        XCTAssertEqual(error?.found, "abc")
        XCTAssertTrue(error?.description.hasSuffix(
            "ml-100k.inter:3: column 3 (rating:float): expected a number, found \"abc\"") ?? false,
            error?.description ?? "")
    }

    func testNonNumericTimestampInDat() throws {
        let error = try loadError("ratings.dat", "1::2::3::4\n1::2::3::4x\n")
        XCTAssertEqual(error?.line, 2)
        XCTAssertEqual(error?.column, 4)
        XCTAssertEqual(error?.field, "timestamp")
        XCTAssertEqual(error?.found, "4x")
    }

    func testPartialNumberAndInfinityRejected() throws {
        XCTAssertEqual(try loadError("u.data", "1\t2\t3.5.1\t4\n")?.column, 3)
        XCTAssertEqual(try loadError("u.data", "1\t2\tinf\t4\n")?.column, 3)
        XCTAssertEqual(try loadError("u.data", "1\t2\t\t4\n")?.column, 3, "an empty rating is not a number")
    }

    func testEmptyUserID() throws {
        let error = try loadError("ratings.csv", "userId,movieId,rating,timestamp\n1,2,3,4\n,2,3,4\n")
        XCTAssertEqual(error?.kind, .invalidValue)
        XCTAssertEqual(error?.line, 3)
        XCTAssertEqual(error?.column, 1)
        XCTAssertEqual(error?.field, "userId")
        XCTAssertEqual(error?.expected, "a non-empty id")
    }

    func testEmptyItemIDAfterBlankLineCountsLines() throws {
        // The blank line 3 is skipped but still counted.
        let error = try loadError("a.inter", "\(header)\n1\t2\t3\t4\n\n1\t\t3\t4\n")
        XCTAssertEqual(error?.line, 4)
        XCTAssertEqual(error?.column, 2)
        XCTAssertEqual(error?.field, "item_id:token")
    }

    func testErrorLineWithCRLF() throws {
        let error = try loadError("a.inter", "\(header)\r\n1\t2\t3\t4\r\n1\t2\t3\tx\r\n")
        XCTAssertEqual(error?.line, 3)
        XCTAssertEqual(error?.column, 4)
        XCTAssertEqual(error?.found, "x", "CR must not appear in the reported text")
    }

    // MARK: Headers and files

    func testBadHeaderType() throws {
        let error = try loadError("a.inter", "user_id:token\titem_id:token\trating:double\n1\t2\t3\n")
        XCTAssertEqual(error?.kind, .invalidHeader)
        XCTAssertEqual(error?.line, 1)
        XCTAssertEqual(error?.column, 3)
        XCTAssertEqual(error?.found, "double")
    }

    func testHeaderWithoutType() throws {
        let error = try loadError("a.inter", "user_id\titem_id:token\n1\t2\n")
        XCTAssertEqual(error?.kind, .invalidHeader)
        XCTAssertEqual(error?.column, 1)
        XCTAssertEqual(error?.expected, "name:type")
    }

    func testWrongTypeForRating() throws {
        let error = try loadError("a.inter", "user_id:token\titem_id:token\trating:token\n1\t2\t3\n")
        XCTAssertEqual(error?.kind, .invalidHeader)
        XCTAssertEqual(error?.column, 3)
        XCTAssertEqual(error?.found, "token")
    }

    func testDuplicateHeaderName() throws {
        let error = try loadError("a.inter", "user_id:token\titem_id:token\tuser_id:token\n1\t2\t3\n")
        XCTAssertEqual(error?.kind, .invalidHeader)
        XCTAssertEqual(error?.column, 3)
    }

    func testMissingRequiredColumn() throws {
        let error = try loadError("a.inter", "user_id:token\trating:float\n1\t2\n")
        XCTAssertEqual(error?.kind, .missingColumn)
        XCTAssertEqual(error?.line, 1)
        XCTAssertEqual(error?.field, "item_id")
        XCTAssertEqual(error?.description.hasSuffix(
            "a.inter:1: expected a column named item_id, found user_id:token, rating:float"), true)
        XCTAssertEqual(try loadError("ratings.csv", "user,movieId\n1,2\n")?.field, "userId")
    }

    func testMissingFile() {
        let error = expectDataError { try InteractionLoader.load(path: "/nonexistent/dir/x.inter") }
        XCTAssertEqual(error, DataError.missingFile("/nonexistent/dir/x.inter"))
    }

    func testDirectoryIsNotAFile() throws {
        let dir = try FixtureDirectory(); defer { dir.remove() }
        let error = expectDataError { try InteractionLoader.load(path: dir.path, format: .movielensUData) }
        XCTAssertEqual(error?.kind, .unreadableFile)
        XCTAssertEqual(error?.found, "not a regular file")
    }

    func testEmptyFileNeedsHeader() throws {
        let error = try loadError("a.inter", "")
        XCTAssertEqual(error?.kind, .unreadableFile)
        XCTAssertEqual(error?.expected, "a header line")
    }

    func testUnknownFormatName() throws {
        XCTAssertEqual(try loadError("notes.txt", "1\t2\n")?.kind, .unreadableFile)
    }

    // MARK: Feature and KG files

    func testFeatureBadFloat() throws {
        let dir = try FixtureDirectory(); defer { dir.remove() }
        let path = try dir.file("x.item", "item_id:token\tprice:float\tvec:float_seq\n1\t2.5\t1 2\n2\tcheap\t3\n")
        let error = expectDataError { try FeatureTable.load(path: path, keyField: "item_id") }
        XCTAssertEqual(error?.line, 3)
        XCTAssertEqual(error?.column, 2)
        XCTAssertEqual(error?.field, "price:float")
        let seqPath = try dir.file("y.item", "item_id:token\tvec:float_seq\n1\t1 x 2\n")
        let seqError = expectDataError { try FeatureTable.load(path: seqPath, keyField: "item_id") }
        XCTAssertEqual(seqError?.line, 2)
        XCTAssertEqual(seqError?.column, 2)
        XCTAssertEqual(seqError?.found, "1 x 2")
    }

    func testFeatureDuplicateKey() throws {
        let dir = try FixtureDirectory(); defer { dir.remove() }
        let path = try dir.file("x.user", "user_id:token\tage:token\n1\t20\n2\t30\n1\t40\n")
        let error = expectDataError { try FeatureTable.load(path: path, keyField: "user_id") }
        XCTAssertEqual(error?.line, 4)
        XCTAssertEqual(error?.column, 1)
        XCTAssertEqual(error?.found, "1")
    }

    func testKGWrongFieldCount() throws {
        let dir = try FixtureDirectory(); defer { dir.remove() }
        let path = try dir.file("x.kg", "head_id:token\trelation_id:token\ttail_id:token\na\tr\tb\nc\tr\n")
        let error = expectDataError { try KnowledgeGraph.load(path: path) }
        XCTAssertEqual(error?.kind, .wrongFieldCount)
        XCTAssertEqual(error?.line, 3)
        XCTAssertEqual(error?.column, 3)
        XCTAssertEqual(error?.field, "tail_id:token")
    }
}
