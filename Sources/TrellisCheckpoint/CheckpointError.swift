/// A problem found while writing, reading or verifying a checkpoint, pinned to a file and,
/// where it applies, a tensor.
///
/// Readers throw this instead of trapping, whatever the bytes on disk are, so a torn or
/// corrupted checkpoint can be skipped with a reason. `description` reads like a diagnostic:
/// `ckpt-000000040/state.safetensors: tensor "item.embedding": expected 64 bytes, found 60`.
public struct CheckpointError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What went wrong, coarsely; the other fields say where and how.
    public enum Kind: String, Sendable, Equatable {
        /// The file ends before the structure it declares (header or tensor data).
        case truncated
        /// The safetensors header is not well-formed JSON of the expected structure.
        case invalidHeader
        /// A tensor's dtype, shape or offsets are inconsistent with each other or the file.
        case invalidTensor
        /// A value cannot be converted to the requested Swift type (e.g. I32 read as F32).
        case typeMismatch
        /// A checkpoint state cannot be represented (e.g. the same name used twice).
        case invalidState
        /// A checkpoint folder has no manifest: it was interrupted before completing.
        case incomplete
        /// The manifest exists but does not parse or disagrees with its folder.
        case invalidManifest
        /// A file's size or checksum differs from what the manifest recorded.
        case checksumMismatch
        /// A file that should exist does not.
        case missingFile
        /// A system call failed (open, write, fsync, rename, ...).
        case io
    }

    /// The kind of problem.
    public var kind: Kind
    /// The file the problem is in, as given to the reader or writer; empty for in-memory values.
    public var file: String
    /// The tensor (or manifest field) concerned; empty when the problem is file-wide.
    public var tensor: String
    /// What the reader expected, e.g. `64 bytes`.
    public var expected: String
    /// What it found instead.
    public var found: String

    /// A diagnostic with every field given explicitly.
    public init(kind: Kind, file: String, tensor: String = "", expected: String, found: String) {
        self.kind = kind
        self.file = file
        self.tensor = tensor
        self.expected = expected
        self.found = found
    }

    // MARK: Description

    public var description: String {
        // Entries converted in memory have no file; the prefix would only be noise.
        var text = file.isEmpty ? "" : file + ": "
        if !tensor.isEmpty { text += "tensor \"\(tensor)\": " }
        text += "expected \(expected), found \(found)"
        return text
    }
}
