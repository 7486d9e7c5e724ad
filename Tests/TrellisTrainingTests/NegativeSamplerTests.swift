import XCTest
import TrellisCore
import TrellisData
import TrellisTraining

final class NegativeSamplerTests: XCTestCase {
    func testNeverReturnsAPositiveAndIsSeeded() {
        // user 0 has items 0..<8 of 10, so only 8 and 9 may come back.
        let positives = CSRMatrix(rowCount: 2, columnCount: 10, rows: [Int32](repeating: 0, count: 8) + [1],
                                  columns: Array(0..<8) + [3], values: nil, sortRows: true)
        let sampler = NegativeSampler(positives: positives)
        var a = SeededGenerator(seed: 5), b = SeededGenerator(seed: 5)
        var seen = Set<Int32>()
        for _ in 0..<500 {
            let x = sampler.sample(for: 0, using: &a)
            XCTAssertEqual(x, sampler.sample(for: 0, using: &b))
            seen.insert(x)
        }
        XCTAssertEqual(seen, [8, 9])
        for _ in 0..<200 { XCTAssertNotEqual(sampler.sample(for: 1, using: &a), 3) }
    }
}
