import Foundation
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// A directory of numbered checkpoints, written crash-safely and read back verified.
///
/// Layout: one folder per step, `ckpt-000000040/`, holding `state.safetensors` and
/// `manifest.json` (sizes and CRC-32s of the data files). A save builds the folder as
/// `.tmp-ckpt-000000040/`, writes the data, then the manifest (both fsynced), and only then
/// renames it into place; a folder without a valid manifest is therefore incomplete by
/// construction, and `latestIntact()` skips it. One process writes to a store at a time.
public struct CheckpointStore: Sendable {
    /// The version written into manifests; readers refuse other versions.
    public static let formatVersion = 1
    /// The data file of every checkpoint.
    public static let stateFileName = "state.safetensors"
    /// The manifest, written last.
    public static let manifestFileName = "manifest.json"

    /// The store's root folder (created on the first save).
    public let directory: String
    /// How many complete checkpoints a save keeps (the one just saved included).
    public let keepLast: Int

    /// A store rooted at `directory`, keeping the newest `keepLast` checkpoints.
    public init(directory: String, keepLast: Int = 3) {
        precondition(keepLast >= 1, "keepLast must be at least 1, got \(keepLast)")
        self.directory = directory
        self.keepLast = keepLast
    }

    /// The folder name for `step`: `ckpt-` and the step zero-padded to 9 digits, so names
    /// sort like steps.
    public static func folderName(step: Int) -> String {
        let digits = String(step)
        return "ckpt-" + String(repeating: "0", count: max(0, 9 - digits.count)) + digits
    }

    /// The folder path of the checkpoint for `step`.
    public func path(step: Int) -> String {
        directory + "/" + Self.folderName(step: step)
    }

    // MARK: Saving

    /// Saves `state` as the checkpoint for `step`, with `extras` in its manifest, then
    /// applies retention. Replaces an existing checkpoint of the same step.
    @discardableResult
    public func save(step: Int, state: CheckpointState, extras: [String: String] = [:]) throws -> CheckpointInfo {
        try save(step: step, entries: try state.entries(), metadata: state.metadata, extras: extras)
    }

    /// Saves raw `entries` (any dtype) and safetensors `metadata` as the checkpoint for
    /// `step`, with `extras` in its manifest, then applies retention.
    @discardableResult
    public func save(step: Int, entries: [SafeTensorsEntry], metadata: [String: String] = [:],
                     extras: [String: String] = [:]) throws -> CheckpointInfo {
        precondition(step >= 0, "checkpoint step must be non-negative, got \(step)")
        var seen = Set<String>()
        for entry in entries where !seen.insert(entry.name).inserted {
            throw CheckpointError(kind: .invalidState, file: "", tensor: entry.name,
                                  expected: "unique tensor names", found: "the name twice")
        }
        let fileManager = FileManager.default
        let name = Self.folderName(step: step)
        let temp = directory + "/.tmp-" + name
        let final = directory + "/" + name
        do {
            try fileManager.createDirectory(atPath: directory, withIntermediateDirectories: true)
            if fileManager.fileExists(atPath: temp) { try fileManager.removeItem(atPath: temp) }
            try fileManager.createDirectory(atPath: temp, withIntermediateDirectories: false)
        } catch let error as CheckpointError {
            throw error
        } catch {
            throw CheckpointError(kind: .io, file: temp, expected: "a writable checkpoint folder", found: "\(error)")
        }

        let data = SafeTensors.encode(entries: entries, metadata: metadata)
        try AtomicFile.write(data, to: temp + "/" + Self.stateFileName)
        let info = CheckpointInfo(
            step: step, path: final, createdUnixTime: Int64(Date().timeIntervalSince1970),
            files: [CheckpointFile(name: Self.stateFileName, bytes: data.count, crc32: CRC32.checksum(data))],
            extras: extras, tensorNames: entries.map(\.name).sorted(), formatVersion: Self.formatVersion)
        // The manifest goes last: its presence is the commit point of the checkpoint.
        try AtomicFile.write(try CheckpointManifest(info).encoded(), to: temp + "/" + Self.manifestFileName)

        if fileManager.fileExists(atPath: final) {
            // Re-saving a step (e.g. after resuming from an older checkpoint) replaces it.
            do { try fileManager.removeItem(atPath: final) } catch {
                throw CheckpointError(kind: .io, file: final, expected: "the old checkpoint removed", found: "\(error)")
            }
        }
        guard rename(temp, final) == 0 else { throw AtomicFile.failure("rename to \(final)", file: temp) }
        try AtomicFile.syncDirectory(directory)

        prune(keeping: step)
        return info
    }
}
