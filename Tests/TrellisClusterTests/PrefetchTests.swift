import Foundation
import TrellisCluster
import TrellisCore
import TrellisGraph
import TrellisTraining
import XCTest

extension ClusterEngineTests {
    func testPrefetchedBatchesEqualInlineOnesAndRunsAreIdentical() throws {
        let data = dataset()
        var inline = config()
        inline.cluster.prefetch = false
        inline.training.epochs = 3
        var ahead = inline
        ahead.cluster.prefetch = true
        // The same contributions, step by step, over an epoch; then the same whole runs.
        let a = try EmbeddedEngine(config: inline, dataset: data), b = try EmbeddedEngine(config: ahead, dataset: data)
        for _ in 0..<a.run.stepsPerEpoch {
            XCTAssertEqual(try a.trainStep(), try b.trainStep())
        }
        XCTAssertEqual(try trace(inline, data), try trace(ahead, data))
    }
}

final class PrefetchTests: XCTestCase {
    func testPrefetcherPreparesWantedKeysInOrderAndDropsTheRest() throws {
        let order = Order()
        let prefetcher = BatchPrefetcher { key in
            order.append(key)
            if key.partition == 9 { throw PlanError("no partition 9") }
            return PreparedBatch(partition: key.partition, step: key.step, batch: LinkPredictionBatch())
        }
        defer { prefetcher.stop() }
        let k = (0..<4).map { StepKey(partition: 0, step: StepID(epoch: 1, step: $0)) }
        prefetcher.want([k[0], k[1]])
        XCTAssertEqual(try prefetcher.take(k[0]).step, k[0].step)
        XCTAssertEqual(try prefetcher.take(k[1]).step, k[1].step)
        // Not wanted: never prepared, and asking for it gives nothing.
        XCTAssertNil(try prefetcher.take(k[3], waitMilliseconds: 50))
        prefetcher.want([k[2]])
        XCTAssertEqual(try prefetcher.take(k[2]).step, k[2].step)
        XCTAssertEqual(order.keys, [k[0], k[1], k[2]])
        // An error from `prepare` reaches the taker.
        let bad = StepKey(partition: 9, step: StepID(epoch: 1, step: 0))
        prefetcher.want([bad])
        XCTAssertThrowsError(try prefetcher.take(bad)) { XCTAssertTrue("\($0)".contains("no partition 9")) }
    }

    func testTheNextTaskGuessFollowsTheCoordinatorsOrder() {
        let key = StepKey(partition: 1, step: StepID(epoch: 2, step: 4))
        // Next partition at the same step, then the first partition at the next step.
        XCTAssertEqual(key.next(partitions: [3, 1], stepsPerEpoch: 5, epochs: 3), StepKey(partition: 3, step: key.step))
        XCTAssertEqual(StepKey(partition: 3, step: key.step).next(partitions: [1, 3], stepsPerEpoch: 5, epochs: 3),
                       StepKey(partition: 1, step: StepID(epoch: 3, step: 0)))
        XCTAssertEqual(StepKey(partition: 1, step: StepID(epoch: 1, step: 0)).next(partitions: [1], stepsPerEpoch: 5, epochs: 3),
                       StepKey(partition: 1, step: StepID(epoch: 1, step: 1)))
        XCTAssertNil(StepKey(partition: 1, step: StepID(epoch: 3, step: 4)).next(partitions: [1], stepsPerEpoch: 5, epochs: 3))
    }
}

/// Keys in the order the prefetch thread saw them.
private final class Order: @unchecked Sendable {
    private let lock = NSLock()
    private var seen: [StepKey] = []
    func append(_ k: StepKey) { lock.lock(); seen.append(k); lock.unlock() }
    var keys: [StepKey] { lock.lock(); defer { lock.unlock() }; return seen }
}
