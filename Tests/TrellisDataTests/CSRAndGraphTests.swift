import XCTest
@testable import TrellisData

final class CSRAndGraphTests: XCTestCase {
    // MARK: CSR

    func testCOOToCSRKeepsInputOrderWithinRows() {
        let m = CSRMatrix(rowCount: 3, columnCount: 4, rows: [2, 0, 2, 0], columns: [3, 1, 0, 1],
                          values: [1, 2, 3, 4], sortRows: false)
        XCTAssertEqual(m.offsets, [0, 2, 2, 4])
        XCTAssertEqual(Array(m.row(0)), [1, 1])
        XCTAssertEqual(Array(m.row(1)), [])
        XCTAssertEqual(Array(m.row(2)), [3, 0])
        XCTAssertEqual(m.values, [2, 4, 1, 3])
        XCTAssertEqual(m.nnz, 4)
    }

    func testSortedRowsAreStableOnTies() {
        let m = CSRMatrix(rowCount: 2, columnCount: 5, rows: [1, 1, 1, 0, 1], columns: [4, 2, 4, 3, 0],
                          values: [10, 20, 30, 40, 50], sortRows: true)
        XCTAssertEqual(Array(m.row(1)), [0, 2, 4, 4])
        XCTAssertEqual(Array(m.rowValues(1)!), [50, 20, 10, 30], "equal columns keep input order")
        let dedup = m.removingDuplicateColumns()
        XCTAssertEqual(Array(dedup.row(1)), [0, 2, 4])
        XCTAssertEqual(Array(dedup.rowValues(1)!), [50, 20, 10])
        XCTAssertEqual(dedup.offsets, [0, 1, 4])
    }

    func testTransposeRoundTrip() {
        let m = CSRMatrix(rowCount: 3, columnCount: 2, rows: [0, 2, 1, 2], columns: [1, 0, 1, 1],
                          values: [1, 2, 3, 4], sortRows: true)
        let t = m.transposed()
        XCTAssertEqual(t.rowCount, 2)
        XCTAssertEqual(t.columnCount, 3)
        XCTAssertEqual(Array(t.row(0)), [2])
        XCTAssertEqual(Array(t.row(1)), [0, 1, 2])
        XCTAssertEqual(Array(t.rowValues(1)!), [1, 3, 4])
        XCTAssertEqual(t.transposed(), m)
    }

    func testItemsByUserSortedAndDeduplicated() {
        let table = makeTable([("a", "x", 1), ("a", "z", 2), ("b", "y", 3), ("a", "x", 4), ("a", "y", 5)])
        let seen = table.itemsByUser()
        XCTAssertEqual(seen.rowCount, 2)
        XCTAssertEqual(seen.columnCount, 3)
        XCTAssertEqual(Array(seen.row(0)), [0, 1, 2])
        XCTAssertEqual(Array(seen.row(1)), [2])
        XCTAssertNil(seen.values)
    }

    // MARK: IDMap

    func testIDMapFirstSeenOrder() {
        var map = IDMap()
        XCTAssertEqual(map.intern("b"), 0)
        XCTAssertEqual(map.intern("a"), 1)
        XCTAssertEqual(map.intern("b"), 0)
        XCTAssertEqual(map.count, 2)
        XCTAssertEqual(map.id(of: "a"), 1)
        XCTAssertNil(map.id(of: "c"))
        XCTAssertEqual(map.raw(of: 1), "a")
        XCTAssertEqual(map, IDMap(["b", "a", "b"]))
    }
}
