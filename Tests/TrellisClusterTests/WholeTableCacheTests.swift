import TrellisCluster
import TrellisTensor
import XCTest

/// A worker's whole-table reads in sync mode: fetched once per global step whatever the number
/// of its partitions, fetched again at the next step, and never cached for a pull of some rows.
final class WholeTableCacheTests: XCTestCase {
    /// Counts the pulls that reach it; row k of a table holds the global step.
    final class CountingParameters: ParameterClient {
        var pulls = 0, pushes = 0
        func pull(partition: Int, globalStep: Int, ids: [[Int32]]) throws -> (rows: [Tensor], dense: [Tensor]) {
            pulls += 1
            return (ids.map { Tensor(shape: [$0.count, 1], repeating: Float(globalStep)) }, [Tensor(shape: [1], data: [Float(globalStep)])])
        }
        func push(_ c: Contribution, globalStep: Int, grant: UInt64) throws -> Contribution {
            pushes += 1
            return c
        }
    }

    func testWholeTablesAreFetchedOncePerStep() throws {
        let inner = CountingParameters()
        let cache = WholeTableCache(inner, tableRows: [3, 2])
        let whole: [[Int32]] = [[0, 1, 2], [0, 1]]
        for partition in 0..<4 { _ = try cache.pull(partition: partition, globalStep: 7, ids: whole) }
        XCTAssertEqual(inner.pulls, 1, "four partitions of step 7, one fetch")
        XCTAssertEqual([cache.fetched, cache.served], [1, 3])
        let next = try cache.pull(partition: 0, globalStep: 8, ids: whole)
        XCTAssertEqual(inner.pulls, 2, "the next step's version is fetched")
        XCTAssertEqual(next.rows[0].data, [8, 8, 8])
        // Some rows, or the rows out of order: never from the copy.
        _ = try cache.pull(partition: 1, globalStep: 8, ids: [[0, 2], [1]])
        _ = try cache.pull(partition: 1, globalStep: 8, ids: [[2, 1, 0], [0, 1]])
        XCTAssertEqual(inner.pulls, 4)
        _ = try cache.push(.empty(step: StepID(epoch: 1, step: 0), partition: 0, tables: [1, 1], denseCount: 1), globalStep: 8, grant: 0)
        XCTAssertEqual(inner.pushes, 1)
    }
}
