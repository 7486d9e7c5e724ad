/// The outcome of looking for a checkpoint to resume from: the newest intact one, if any,
/// and every newer one that was skipped, with its reason, for the caller to log.
public struct CheckpointRecovery: Sendable {
    /// The newest checkpoint that verified, or nil if none did.
    public var checkpoint: LoadedCheckpoint?
    /// Newer checkpoints that failed verification, newest first.
    public var skipped: [SkippedCheckpoint]

    /// A result with the given fields.
    public init(checkpoint: LoadedCheckpoint?, skipped: [SkippedCheckpoint]) {
        self.checkpoint = checkpoint
        self.skipped = skipped
    }
}

/// A verified checkpoint's manifest and contents.
public struct LoadedCheckpoint: Sendable, Equatable {
    /// The manifest: step, files, extras.
    public var info: CheckpointInfo
    /// The stored tensors in file order.
    public var entries: [SafeTensorsEntry]
    /// The safetensors `__metadata__` map.
    public var metadata: [String: String]

    /// A checkpoint with the given fields.
    public init(info: CheckpointInfo, entries: [SafeTensorsEntry], metadata: [String: String]) {
        self.info = info
        self.entries = entries
        self.metadata = metadata
    }

    /// The contents as a `CheckpointState`; throws if an entry is neither F32 nor U64.
    public func state() throws -> CheckpointState {
        try CheckpointState(entries: entries, metadata: metadata)
    }
}

/// A checkpoint folder that `latestIntact()` passed over, and why.
public struct SkippedCheckpoint: Sendable, Equatable, CustomStringConvertible {
    /// The step from the folder name.
    public var step: Int
    /// The folder's path.
    public var path: String
    /// The first problem found; its `file` is relative to the store, e.g.
    /// `ckpt-000000040/state.safetensors`.
    public var error: CheckpointError

    /// A record with the given fields.
    public init(step: Int, path: String, error: CheckpointError) {
        self.step = step
        self.path = path
        self.error = error
    }

    /// The problem in one line, e.g. `ckpt-000000040/state.safetensors: expected crc32
    /// 1a2b3c4d, found crc32 9f00e1c2`.
    public var reason: String { error.description }

    /// `skipped ` followed by the reason, ready to log.
    public var description: String { "skipped " + reason }
}
