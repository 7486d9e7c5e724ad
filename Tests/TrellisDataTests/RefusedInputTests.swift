import XCTest
@testable import TrellisData

/// Files that parse but cannot be trained on: no rows, ratings off the declared scale, and
/// fields too long to echo whole.
final class RefusedInputTests: XCTestCase {
    private let header = "user_id:token\titem_id:token\trating:float\ttimestamp:float"

    // MARK: No rows

    func testHeaderOnlyFileIsRefused() throws {
        let error = try loadError("a.inter", "\(header)\n")
        XCTAssertEqual(error?.kind, .noInteractions)
        XCTAssert(error?.description.contains("a.inter") ?? false, error?.description ?? "")
        XCTAssert(error?.description.contains("at least one interaction") ?? false, error?.description ?? "")
    }

    func testEmptyHeaderlessFileIsRefused() throws {
        XCTAssertEqual(try loadError("u.data", "")?.kind, .noInteractions)
        XCTAssertEqual(try loadError("ratings.dat", "\n\n")?.kind, .noInteractions)
    }

    // MARK: Rating scale

    func testMovieLensRatingOffItsScaleIsRefused() throws {
        let error = try loadError("u.data", "1\t2\t3\t4\n1\t3\t6\t5\n")
        XCTAssertEqual(error?.kind, .invalidValue)
        XCTAssertEqual(error?.line, 2)
        XCTAssertEqual(error?.column, 3)
        XCTAssertEqual(error?.found, "6")
        XCTAssert(error?.expected.contains("1 to 5") ?? false, error?.expected ?? "")
        XCTAssertEqual(try loadError("ratings.dat", "1::2::0::4\n")?.column, 3)
        XCTAssertEqual(try loadError("ratings.csv", "userId,movieId,rating,timestamp\n1,2,5.5,4\n")?.column, 3)
    }

    func testDeclaredScaleAppliesToAtomicFiles() throws {
        let rows = "\(header)\n1\t2\t5\t4\n1\t3\t-1\t5\n"
        let error = try loadError("a.inter", rows, ratingScale: 1...5)
        XCTAssertEqual(error?.line, 3)
        XCTAssertEqual(error?.field, "rating:float")
        let dir = try FixtureDirectory(); defer { dir.remove() }
        let good = try dir.file("b.inter", rows.replacingOccurrences(of: "-1", with: "1"))
        XCTAssertEqual(try InteractionLoader.load(path: good, ratingScale: 1...5).count, 2, "ratings on the scale load")
    }

    // MARK: Echoes

    func testLongFieldIsCutInTheError() throws {
        let long = String(repeating: "a", count: 5120)
        let error = try loadError("u.data", "1\t2\t\(long)\t4\n")
        let text = error?.description ?? ""
        XCTAssertLessThan(text.count, 300, "the error echoes the whole field")
        XCTAssert(text.contains("…"), text)
    }
}
