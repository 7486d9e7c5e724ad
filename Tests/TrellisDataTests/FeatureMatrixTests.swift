import XCTest
@testable import TrellisData

/// Feature columns as one frozen row per node: the block of each column type, zeros for a node
/// without a row, and clear errors for a column that is missing or is an id in disguise.
final class FeatureMatrixTests: XCTestCase {
    func testEachColumnTypeBecomesItsBlock() throws {
        let dir = try FixtureDirectory(); defer { dir.remove() }
        let path = try dir.file("x.item", """
            item_id:token\tgenre:token_seq\tyear:token\tprice:float\temb:float_seq
            10\tAction Drama\t1995\t9.5\t0.5 1
            20\tDrama\t1996\t\t2
            """)
        let table = try FeatureTable.load(path: path, keyField: "item_id", keyIDs: IDMap(["20", "30", "10"]))
        let m = try table.matrix(columns: ["genre", "year", "price", "emb"], nodes: 3, file: path)
        XCTAssertEqual(m.blocks.map(\.name), ["genre", "year", "price", "emb"])
        XCTAssertEqual(m.blocks.map(\.width), [2, 2, 1, 2])
        XCTAssertEqual(m.width, 7)
        // Node 0 is item 20, node 1 item 30 (no row), node 2 item 10. Vocabularies in file order.
        XCTAssertEqual(Array(m.values[0..<7]), [0, 1, 0, 1, 0, 2, 0], "Drama; 1996; empty price -> 0; emb padded")
        XCTAssertEqual(Array(m.values[7..<14]), [0, 0, 0, 0, 0, 0, 0], "no row: zeros")
        XCTAssertEqual(Array(m.values[14..<21]), [0.5, 0.5, 1, 0, 9.5, 0.5, 1], "two genres share 1")
    }

    func testRefusesAMissingColumnAndAnIdLikeToken() throws {
        let dir = try FixtureDirectory(); defer { dir.remove() }
        let rows = (0..<(FeatureMatrix.maxVocabulary + 1)).map { "\($0)\tz\($0)" }.joined(separator: "\n")
        let path = try dir.file("x.user", "user_id:token\tzip:token\n" + rows)
        let table = try FeatureTable.load(path: path, keyField: "user_id")
        XCTAssertThrowsError(try table.matrix(columns: ["age"], nodes: 2, file: path)) { error in
            XCTAssert("\(error)".contains("age"), "\(error)")
        }
        XCTAssertThrowsError(try table.matrix(columns: ["zip"], nodes: 2, file: path)) { error in
            XCTAssert("\(error)".contains("at most \(FeatureMatrix.maxVocabulary) distinct tokens"), "\(error)")
        }
        XCTAssertThrowsError(try table.matrix(columns: [], nodes: 2, file: path))
    }

    func testMovieLensUserFeatures() throws {
        let table = try FeatureTable.load(path: try ml100kPath("user"), keyField: "user_id")
        let m = try table.matrix(columns: ["gender", "occupation"], nodes: table.count, file: "ml-100k.user")
        XCTAssertEqual(m.blocks.map(\.width), [2, 21])
        for node in 0..<table.count { XCTAssertEqual(m.values[(node * 23)..<((node + 1) * 23)].reduce(0, +), 2, "one gender, one occupation") }
    }
}
