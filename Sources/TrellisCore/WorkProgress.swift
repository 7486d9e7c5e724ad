import Foundation

/// A process-wide count of finished pieces of long work (an evaluation chunk). A worker's
/// heartbeat thread reports it, so the coordinator tells a worker busy with a long task (the
/// count moves) from a hung one (it does not) without a fixed limit on the task.
public enum WorkProgress {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var done: UInt64 = 0

    /// One more piece done.
    public static func advance() {
        lock.lock()
        done &+= 1
        lock.unlock()
    }

    /// Pieces done so far.
    public static var count: UInt64 {
        lock.lock()
        defer { lock.unlock() }
        return done
    }
}
