import Foundation
import TrellisCore

/// Which step of which partition.
public struct StepKey: Hashable, Sendable, CustomStringConvertible {
    public var partition: Int
    public var step: StepID
    public init(partition: Int, step: StepID) {
        self.partition = partition
        self.step = step
    }
    public var description: String { "p\(partition) \(step)" }
}

/// Prepares batches (draw + neighbour sampling) on its own thread, so the next step's batch
/// is ready when the current step's compute ends:
///
///     main:      [compute s] [push s] [compute s+1] ...
///     prefetch:  [sample s+1]         [sample s+2]  ...
///
/// Sampling depends only on (seed, partition, epoch, step), never on the weights, so a
/// prefetched batch is the batch the step would have drawn inline: results do not change.
/// Every `prepare` call happens on the prefetch thread (the stepper's samplers are not
/// thread-safe); the main thread only asks for keys and takes results.
public final class BatchPrefetcher {
    public typealias Prepare = (StepKey) throws -> PreparedBatch

    private let queue = Queue()

    /// `prepare` runs on the prefetch thread; `onExit` too, when the thread ends (a socket
    /// the thread owns is closed there). The thread ends with `stop()` or when this object goes.
    public init(prepare: @escaping Prepare, onExit: @escaping () -> Void = {}) {
        let queue = self.queue
        let thread = Thread {
            queue.serve(prepare)
            onExit()
        }
        thread.name = "trellis.prefetch"
        thread.start()
    }

    deinit { queue.stop() }

    /// Keys needed next, soonest first: anything else queued or prepared is dropped, and the
    /// thread works through these in order.
    public func want(_ keys: [StepKey]) { queue.want(keys) }

    /// The prepared batch for `key` if it is ready within `milliseconds`, removed from the
    /// cache; rethrows what `prepare` threw. Nil when not ready yet (`key` must be wanted).
    public func take(_ key: StepKey, waitMilliseconds milliseconds: Int) throws -> PreparedBatch? {
        try queue.take(key, waitMilliseconds: milliseconds)
    }

    /// Blocks until `key` is prepared (for the one-process engine, which has nothing else to do).
    public func take(_ key: StepKey) throws -> PreparedBatch {
        while true {
            if let batch = try take(key, waitMilliseconds: 1000) { return batch }
        }
    }

    /// Ends the thread after the batch in progress.
    public func stop() { queue.stop() }

    /// Shared by the caller's thread and the prefetch thread, behind one condition.
    private final class Queue: @unchecked Sendable {
        private let condition = NSCondition()
        private var wanted: [StepKey] = []  // in order; the first not yet prepared runs next
        private var results: [StepKey: Result<PreparedBatch, Error>] = [:]
        private var stopped = false

        func want(_ keys: [StepKey]) {
            condition.lock()
            wanted = keys
            results = results.filter { keys.contains($0.key) }
            condition.broadcast()
            condition.unlock()
        }

        func take(_ key: StepKey, waitMilliseconds milliseconds: Int) throws -> PreparedBatch? {
            condition.lock()
            defer { condition.unlock() }
            let deadline = Date(timeIntervalSinceNow: Double(milliseconds) / 1000)
            while results[key] == nil, !stopped, condition.wait(until: deadline) {}
            guard let result = results.removeValue(forKey: key) else { return nil }
            wanted.removeAll { $0 == key }
            return try result.get()
        }

        func stop() {
            condition.lock()
            stopped = true
            condition.broadcast()
            condition.unlock()
        }

        func serve(_ prepare: Prepare) {
            while true {
                condition.lock()
                var next: StepKey?
                while !stopped {
                    next = wanted.first { results[$0] == nil }
                    if next != nil { break }
                    condition.wait()
                }
                condition.unlock()
                guard let key = next else { return }  // stopped

                let result = Result { try prepare(key) }

                condition.lock()
                if wanted.contains(key) { results[key] = result }  // unless dropped meanwhile
                condition.broadcast()
                condition.unlock()
            }
        }
    }
}

extension StepKey {
    /// The task a worker holding `partitions` most likely gets after this one: the next of its
    /// partitions at the same step, else its first partition at the next step (nil after the
    /// last step of the run). The coordinator hands out the lowest step first, in partition
    /// order, so in synchronous mode this guess is right.
    public func next(partitions: [Int], stepsPerEpoch: Int, epochs: Int) -> StepKey? {
        let sorted = partitions.sorted()
        if let q = sorted.first(where: { $0 > partition }) { return StepKey(partition: q, step: step) }
        guard let first = sorted.first else { return nil }
        var s = StepID(epoch: step.epoch, step: step.step + 1)
        if s.step >= stepsPerEpoch { s = StepID(epoch: step.epoch + 1, step: 0) }
        return s.epoch > epochs ? nil : StepKey(partition: first, step: s)
    }
}
