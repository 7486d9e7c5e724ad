import TestSupport
import TrellisData
import TrellisGraph
import XCTest

/// The three partitioners on MovieLens-100K's user-item graph: METIS cuts the fewest edges,
/// keeps each node type balanced, and gives the same parts for the same seed.
final class PartitionerTests: XCTestCase {
    func graph() throws -> GraphTopology {
        let t = try InteractionLoader.load(path: try TestData.movieLens100K())
        let a = CSRMatrix(rowCount: t.userCount, columnCount: t.itemCount, rows: t.users, columns: t.items, values: nil, sortRows: true)
        return GraphTopology.userItem(a.removingDuplicateColumns())
    }

    func testMETISCutsFewestEdgesAndBalancesEachType() throws {
        let g = try graph()
        for parts in [2, 4, 8] {
            let reports = Partitioner.allCases.map { PartitionReport(method: $0.rawValue, book: $0.partition(g, into: parts, seed: 5), graph: g) }
            let (hash, greedy, metis) = (reports[0], reports[1], reports[2])
            XCTAssertEqual(metis.method, "metis")
            XCTAssertLessThan(metis.edgeCut, greedy.edgeCut, "\(parts) parts: \(reports)")
            XCTAssertLessThan(greedy.edgeCut, hash.edgeCut, "\(parts) parts")
            for b in metis.nodeBalance { XCTAssertLessThanOrEqual(b, 1.05, "\(parts) parts: \(metis)") }
        }
        let a = Partitioner.metis.partition(g, into: 4, seed: 5), b = Partitioner.metis.partition(g, into: 4, seed: 5)
        XCTAssertEqual(a.owners, b.owners, "seeded")
        XCTAssertEqual(Partitioner.metis.partition(g, into: 1, seed: 5).owners.flatMap { $0 }.max(), 0)
    }
}
