import Dispatch
import Foundation

/// Bounded data parallelism for kernels whose output rows are independent (so results do
/// not depend on the thread count). Set `threadCount` deliberately when several processes
/// share a machine.
public enum Parallel {
    /// Threads a kernel may use; defaults to the machine's active cores.
    nonisolated(unsafe) public static var threadCount: Int = ProcessInfo.processInfo.activeProcessorCount

    /// Runs `body(range)` over `0..<count` in up to `threadCount` contiguous chunks, each of at
    /// least `minimumChunk` items; serially when that gives one chunk.
    public static func forEachChunk(_ count: Int, minimumChunk: Int = 1024, _ body: (Range<Int>) -> Void) {
        let chunks = Swift.min(threadCount, Swift.max(1, count / Swift.max(1, minimumChunk)))
        if chunks <= 1 { body(0..<count); return }
        let size = (count + chunks - 1) / chunks
        perform(chunks) { c in
            let start = c * size
            let end = Swift.min(count, start + size)
            if start < end { body(start..<end) }
        }
    }

    /// Runs `body(i)` for i in 0..<count, concurrently: on the spinning pool (`SpinPool`) when
    /// it is free and large enough, else on libdispatch's threads.
    public static func perform(_ count: Int, _ body: (Int) -> Void) {
        if count <= 1 { if count == 1 { body(0) }; return }
        if !pool(for: count).perform(count, body) { DispatchQueue.concurrentPerform(iterations: count, execute: body) }
    }

    private static let poolLock = NSLock()
    nonisolated(unsafe) private static var shared: SpinPool?

    /// The pool, grown (a new one) when a kernel asks for more threads than it has; an
    /// outgrown pool's helpers go to sleep for good.
    private static func pool(for count: Int) -> SpinPool {
        poolLock.lock()
        defer { poolLock.unlock() }
        if let shared, shared.helpers + 1 >= count { return shared }
        let grown = SpinPool(helpers: Swift.max(count, threadCount) - 1)
        shared = grown
        return grown
    }
}
