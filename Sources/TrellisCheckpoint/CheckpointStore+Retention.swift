import Foundation

// MARK: - Retention

extension CheckpointStore {
    /// Deletes checkpoints beyond the newest `keepLast` complete ones, incomplete folders
    /// older than `step`, and stale `.tmp-ckpt-*` folders; never the checkpoint of `step`.
    ///
    /// "Complete" here is the cheap check (manifest parses, file sizes match) rather than
    /// full CRC verification, which would reread every kept checkpoint on every save.
    /// Best effort: a failed delete leaves a folder behind but does not fail the save.
    func prune(keeping step: Int) {
        let fileManager = FileManager.default
        var kept = 0
        for folder in folders() {
            let folderPath = directory + "/" + folder.name
            if folder.step == step {
                kept += 1
            } else if isComplete(step: folder.step) {
                if kept < keepLast { kept += 1 } else { try? fileManager.removeItem(atPath: folderPath) }
            } else if folder.step < step {
                // Left by a crash before its manifest; a newer save supersedes it.
                try? fileManager.removeItem(atPath: folderPath)
            }
        }
        // Temp folders of this single-writer store belong to saves that died midway.
        for name in (try? fileManager.contentsOfDirectory(atPath: directory)) ?? [] where name.hasPrefix(".tmp-ckpt-") {
            try? fileManager.removeItem(atPath: directory + "/" + name)
        }
        try? AtomicFile.syncDirectory(directory)
    }

    /// Whether the checkpoint of `step` has a valid manifest and files of the recorded sizes.
    func isComplete(step: Int) -> Bool {
        guard let info = try? readManifest(step: step) else { return false }
        return info.files.allSatisfy { file in
            let attributes = try? FileManager.default.attributesOfItem(atPath: info.path + "/" + file.name)
            return (attributes?[.size] as? NSNumber)?.intValue == file.bytes
        }
    }
}

// MARK: - Clearing

extension CheckpointStore {
    /// Names of the checkpoint folders in the store (`ckpt-*`, complete or not, and
    /// `.tmp-ckpt-*` left by interrupted saves), sorted; empty when the folder does not exist.
    public func checkpointFolderNames() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasPrefix("ckpt-") || $0.hasPrefix(".tmp-ckpt-") }.sorted()
    }

    /// Deletes every checkpoint folder (see `checkpointFolderNames()`); other files stay.
    public func removeAll() throws {
        for name in checkpointFolderNames() {
            do { try FileManager.default.removeItem(atPath: directory + "/" + name) } catch {
                throw CheckpointError(kind: .io, file: directory + "/" + name, expected: "the old checkpoint removed", found: "\(error)")
            }
        }
        try? AtomicFile.syncDirectory(directory)
    }
}
