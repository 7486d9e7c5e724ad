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
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            let start = c * size
            let end = Swift.min(count, start + size)
            if start < end { body(start..<end) }
        }
    }
}
