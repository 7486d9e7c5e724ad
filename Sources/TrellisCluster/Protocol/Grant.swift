import TrellisCore

/// The coordinator's permission for one task, carried by the task and by every push of it:
/// the learning-rate plateaus the step applies with (`LearningRateSchedule.reductions`, which
/// only the coordinator can count: it holds the validation history) and a keyed tag (SipHash)
/// of (session, partition, global step, reductions) that only the coordinator and the
/// parameter-server processes can compute, so a shard takes a push only for a task the
/// coordinator handed to that session, at the rate it set.
public struct Grant: Equatable, Sendable {
    public var tag: UInt64
    public var reductions: Int
    /// More plateaus than any rate survives (0.999^10000 is below float's smallest step).
    public static let maxReductions = 10_000

    public init(key: SipHash, session: UInt64, partition: Int, globalStep: Int, reductions: Int) {
        tag = key.tag([session, UInt64(partition), UInt64(globalStep), UInt64(reductions)])
        self.reductions = reductions
    }

    /// What the in-process server is handed: it checks no grant and its run sets its plateaus.
    public static let local = Grant(tag: 0, reductions: 0)

    public init(tag: UInt64, reductions: Int) {
        self.tag = tag
        self.reductions = reductions
    }
}
