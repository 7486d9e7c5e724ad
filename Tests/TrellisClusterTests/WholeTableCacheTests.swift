import TrellisCluster
import TrellisTensor
import XCTest

/// A worker's whole-table reads: in sync mode fetched once per global step whatever the number
/// of its partitions, fetched again at the next step, never cached for a pull of some rows; a
/// frozen table fetched once for the run, in either mode; in async mode kept only where
/// `cluster.table_staleness` allows, and then fetched once every staleness + 1 steps.
final class WholeTableCacheTests: XCTestCase {
    /// Counts the pulls that reach it; row k of a table holds the global step.
    final class CountingParameters: ParameterClient {
        var pulls = 0, pushes = 0
        func pull(partition: Int, globalStep: Int, ids: [[Int32]]) throws -> (rows: [Tensor], dense: [Tensor]) {
            pulls += 1
            return (ids.map { Tensor(shape: [$0.count, 1], repeating: Float(globalStep)) }, [Tensor(shape: [1], data: [Float(globalStep)])])
        }
        func push(_ c: Contribution, globalStep: Int, grant: Grant) throws -> Contribution {
            pushes += 1
            return c
        }
    }

    func testWholeTablesAreFetchedOncePerStep() throws {
        let inner = CountingParameters()
        let cache = WholeTableCache(inner, tableRows: [3, 2], tableKinds: [.trainable, .trainable], sync: true)
        let whole: [[Int32]] = [[0, 1, 2], [0, 1]]
        for partition in 0..<4 { _ = try cache.pull(partition: partition, globalStep: 7, ids: whole) }
        XCTAssertEqual(inner.pulls, 1, "four partitions of step 7, one fetch")
        XCTAssertEqual([cache.fetched, cache.served], [2, 6], "two tables fetched, then served three times each")
        let next = try cache.pull(partition: 0, globalStep: 8, ids: whole)
        XCTAssertEqual(inner.pulls, 2, "the next step's version is fetched")
        XCTAssertEqual(next.rows[0].data, [8, 8, 8])
        // Some rows, or the rows out of order: never from the copy (table 1 whole still is).
        _ = try cache.pull(partition: 1, globalStep: 8, ids: [[0, 2], [1]])
        let mixed = try cache.pull(partition: 1, globalStep: 8, ids: [[2, 1, 0], [0, 1]])
        XCTAssertEqual(inner.pulls, 4)
        XCTAssertEqual(mixed.rows.map(\.shape), [[3, 1], [2, 1]])
        _ = try cache.push(.empty(step: StepID(epoch: 1, step: 0), partition: 0, tables: [1, 1], denseCount: 1), globalStep: 8, grant: .local)
        XCTAssertEqual(inner.pushes, 1)
    }

    func testAFrozenTableIsFetchedOnceForTheRun() throws {
        for sync in [true, false] {
            let inner = CountingParameters()
            let cache = WholeTableCache(inner, tableRows: [3, 2], tableKinds: [.trainable, .frozen], sync: sync)
            let first = try cache.pull(partition: 0, globalStep: 1, ids: [[0, 2], [0, 1]])
            let later = try cache.pull(partition: 0, globalStep: 9, ids: [[1], [0, 1]])
            XCTAssertEqual(inner.pulls, 2, "the trainable rows and the dense weights are fetched every time")
            XCTAssertEqual(later.rows[1].data, first.rows[1].data, "the frozen table from its step-1 copy")
            XCTAssertEqual(later.rows[0].data, [9])
            XCTAssertEqual([cache.fetched, cache.served], [1, 1], "sync \(sync)")
        }
        // Async: a trainable whole table is never kept.
        let inner = CountingParameters()
        let cache = WholeTableCache(inner, tableRows: [3, 2], tableKinds: [.trainable, .frozen], sync: false)
        for _ in 0..<2 { _ = try cache.pull(partition: 0, globalStep: 4, ids: [[0, 1, 2], [0, 1]]) }
        XCTAssertEqual(inner.pulls, 2)
        XCTAssertEqual([cache.fetched, cache.served], [1, 1])
    }

    func testAsyncCopiesServeWithinTheirStaleness() throws {
        let inner = CountingParameters()
        let cache = WholeTableCache(inner, tableRows: [3, 2], tableKinds: [.trainable, .trainable], sync: false, staleness: 2)
        let whole: [[Int32]] = [[0, 1, 2], [0, 1]]
        var seen: [Float] = []
        for step in 4..<11 {
            for partition in 0..<2 {
                let r = try cache.pull(partition: partition, globalStep: step, ids: whole)
                seen.append(r.rows[0].data[0])
                XCTAssertEqual(r.dense[0].data, [Float(step)], "the dense weights are fetched with every pull")
            }
        }
        // Fetched at steps 4, 7 and 10; each copy serves its step and the two after it.
        XCTAssertEqual(seen, [4, 4, 4, 4, 4, 4, 7, 7, 7, 7, 7, 7, 10, 10])
        XCTAssertEqual(inner.pulls, 14, "every pull still fetches the dense weights")
        XCTAssertEqual([cache.fetched, cache.served], [6, 22])
        // A pull of an earlier step than the copy's (a partition behind the others) fetches.
        let behind = try cache.pull(partition: 1, globalStep: 9, ids: whole)
        XCTAssertEqual(behind.rows[0].data, [9, 9, 9])
        // Sync ignores the setting: a copy never serves another step.
        let sync = WholeTableCache(CountingParameters(), tableRows: [3, 2], tableKinds: [.trainable, .trainable], sync: true, staleness: 2)
        _ = try sync.pull(partition: 0, globalStep: 1, ids: whole)
        XCTAssertEqual(try sync.pull(partition: 0, globalStep: 2, ids: whole).rows[0].data, [2, 2, 2])
    }
}
