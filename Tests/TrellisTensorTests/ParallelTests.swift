import Foundation
import Synchronization
import XCTest
@testable import TrellisTensor

/// `Parallel.perform` on the spinning pool: every index runs exactly once per call, through
/// thousands of back-to-back calls (each helper answers every call, so a slow one cannot run
/// the next call's job under the last one's), after the helpers fell asleep, nested, and from
/// several threads at once (one holds the pool, the others fall back to libdispatch).
final class ParallelTests: XCTestCase {
    func testEveryIndexRunsOncePerCall() {
        let threads = Parallel.threadCount
        defer { Parallel.threadCount = threads }
        Parallel.threadCount = 4
        for count in [1, 2, 3, 4] {
            let hits = (0..<count).map { _ in Counter() }
            for _ in 0..<5_000 { Parallel.perform(count) { hits[$0].add() } }
            XCTAssertEqual(hits.map(\.value), Array(repeating: 5_000, count: count), "count \(count)")
        }
    }

    func testHelpersAnswerAfterSleeping() {
        let threads = Parallel.threadCount
        defer { Parallel.threadCount = threads }
        Parallel.threadCount = 3
        let hits = (0..<3).map { _ in Counter() }
        for _ in 0..<3 {
            Parallel.perform(3) { hits[$0].add() }
            // Past the spin window: the helpers are on their semaphores when the next call comes.
            Thread.sleep(forTimeInterval: Double(SpinPool.spinNanoseconds) / 1e9 + 0.01)
        }
        XCTAssertEqual(hits.map(\.value), [3, 3, 3])
    }

    func testNestedAndConcurrentCallersEachRunEveryIndex() {
        let threads = Parallel.threadCount
        defer { Parallel.threadCount = threads }
        Parallel.threadCount = 2
        let callers = 4, rounds = 500
        let totals = (0..<callers).map { _ in Counter() }
        DispatchQueue.concurrentPerform(iterations: callers) { caller in
            for _ in 0..<rounds {
                Parallel.perform(2) { _ in
                    Parallel.perform(2) { _ in totals[caller].add() }    // nested: runs on libdispatch
                }
            }
        }
        XCTAssertEqual(totals.map(\.value), Array(repeating: rounds * 4, count: callers))
    }

    func testChunksCoverTheRangeInOrder() {
        let threads = Parallel.threadCount
        defer { Parallel.threadCount = threads }
        Parallel.threadCount = 3
        var out = [Int](repeating: -1, count: 10_007)
        out.withUnsafeMutableBufferPointer { p in
            let base = p.baseAddress!
            Parallel.forEachChunk(10_007, minimumChunk: 100) { range in for i in range { base[i] = i } }
        }
        XCTAssertEqual(out, Array(0..<10_007))
    }
}

private final class Counter: Sendable {
    private let count = Atomic<Int>(0)
    func add() { count.add(1, ordering: .relaxed) }
    var value: Int { count.load(ordering: .relaxed) }
}
