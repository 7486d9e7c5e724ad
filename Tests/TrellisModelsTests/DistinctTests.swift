import XCTest
import TrellisModels

/// `BPRLoss.distinct` gives the same answer through its slot array (ids of a small span) and
/// its hash table (ids spread wide).
final class DistinctTests: XCTestCase {
    func testFirstSeenOrderAndPositions() {
        let (ids, positions) = BPRLoss.distinct([7, 3, 7, 0, 3, 9])
        XCTAssertEqual(ids, [7, 3, 0, 9])
        XCTAssertEqual(positions, [0, 1, 0, 2, 1, 3])
    }

    func testWideIdsTakeTheHashTableAndAgree() {
        let small: [Int32] = [5, 1, 5, 2, 1, 8, 0]
        let wide = small.map { $0 * 1_000_000 }   // span far beyond 4 * count + 4096
        let a = BPRLoss.distinct(small), b = BPRLoss.distinct(wide)
        XCTAssertEqual(a.positions, b.positions)
        XCTAssertEqual(a.ids.map { $0 * 1_000_000 }, b.ids)
        XCTAssertEqual(BPRLoss.distinct([]).ids, [])
    }
}
