/// What a checkpoint's manifest records: its step, files with sizes and checksums, the
/// caller's extras and the tensor names.
public struct CheckpointInfo: Sendable, Equatable {
    /// The training step the checkpoint was taken at.
    public var step: Int
    /// The checkpoint folder, e.g. `<store>/ckpt-000000040`.
    public var path: String
    /// When the checkpoint was saved, in seconds since 1970.
    public var createdUnixTime: Int64
    /// Every data file of the checkpoint (today only `state.safetensors`).
    public var files: [CheckpointFile]
    /// The caller's free-form values, e.g. config hash, world size, epoch.
    public var extras: [String: String]
    /// Names of the stored tensors, sorted.
    public var tensorNames: [String]
    /// The manifest format version (`CheckpointStore.formatVersion` when written).
    public var formatVersion: Int

    /// A record with every field given explicitly.
    public init(step: Int, path: String, createdUnixTime: Int64, files: [CheckpointFile],
                extras: [String: String], tensorNames: [String], formatVersion: Int) {
        self.step = step
        self.path = path
        self.createdUnixTime = createdUnixTime
        self.files = files
        self.extras = extras
        self.tensorNames = tensorNames
        self.formatVersion = formatVersion
    }
}

/// One file of a checkpoint as the manifest records it.
public struct CheckpointFile: Sendable, Equatable {
    /// The file name inside the checkpoint folder.
    public var name: String
    /// Its size in bytes.
    public var bytes: Int
    /// Its CRC-32 (IEEE).
    public var crc32: UInt32

    /// A record with every field given explicitly.
    public init(name: String, bytes: Int, crc32: UInt32) {
        self.name = name
        self.bytes = bytes
        self.crc32 = crc32
    }
}
