import Foundation

// MARK: - Listing

extension CheckpointStore {
    /// The checkpoints whose manifest reads, oldest first; data files are not verified
    /// (see `latestIntact()` for that).
    public func list() -> [CheckpointInfo] {
        folders().reversed().compactMap { try? readManifest(step: $0.step) }
    }

    /// `(step, folder name)` of every `ckpt-<digits>` folder, newest first.
    func folders() -> [(step: Int, name: String)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        let found: [(step: Int, name: String)] = names.compactMap { name in
            guard name.hasPrefix("ckpt-") else { return nil }
            let digits = name.dropFirst(5)
            guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let step = Int(digits) else {
                return nil
            }
            return (step, name)
        }
        return found.sorted { ($0.step, $0.name) > ($1.step, $1.name) }
    }

    /// The manifest of the checkpoint for `step`, parsed and checked against its folder.
    func readManifest(step: Int) throws -> CheckpointInfo {
        let name = Self.folderName(step: step)
        let label = name + "/" + Self.manifestFileName
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path(step: step), isDirectory: &isDirectory),
              isDirectory.boolValue else {
            throw CheckpointError(kind: .missingFile, file: name, expected: "a checkpoint folder", found: "none")
        }
        guard let bytes = readFile(path(step: step) + "/" + Self.manifestFileName) else {
            throw CheckpointError(kind: .incomplete, file: label,
                                  expected: "a manifest (written last, so the save was interrupted)",
                                  found: "no readable file")
        }
        return try CheckpointManifest.decode(bytes, file: label, path: path(step: step), step: step)
    }

    func readFile(_ path: String) -> [UInt8]? {
        FileManager.default.contents(atPath: path).map { Array($0) }
    }
}

// MARK: - Verified loading

extension CheckpointStore {
    /// The checkpoint for `step`, fully verified: manifest, file sizes, CRC-32s, safetensors
    /// structure and tensor names. Throws the first problem found.
    public func load(step: Int) throws -> LoadedCheckpoint {
        let info = try readManifest(step: step)
        let folder = Self.folderName(step: step)
        var state: [UInt8] = []
        for file in info.files {
            let label = folder + "/" + file.name
            guard let bytes = readFile(info.path + "/" + file.name) else {
                throw CheckpointError(kind: .missingFile, file: label, expected: "a file of \(file.bytes) bytes",
                                      found: "no readable file")
            }
            guard bytes.count == file.bytes else {
                throw CheckpointError(kind: .checksumMismatch, file: label, expected: "\(file.bytes) bytes",
                                      found: "\(bytes.count) bytes")
            }
            let crc = CRC32.checksum(bytes)
            guard crc == file.crc32 else {
                throw CheckpointError(kind: .checksumMismatch, file: label, expected: "crc32 \(CRC32.hex(file.crc32))",
                                      found: "crc32 \(CRC32.hex(crc))")
            }
            if file.name == Self.stateFileName { state = bytes }
        }
        let (entries, metadata) = try SafeTensors.decode(state, file: folder + "/" + Self.stateFileName)
        let names = entries.map(\.name).sorted()
        guard names == info.tensorNames.sorted() else {
            throw CheckpointError(kind: .invalidManifest, file: folder + "/" + Self.manifestFileName, tensor: "tensors",
                                  expected: "the names in \(Self.stateFileName): \(names.joined(separator: ", "))",
                                  found: info.tensorNames.sorted().joined(separator: ", "))
        }
        return LoadedCheckpoint(info: info, entries: entries, metadata: metadata)
    }

    /// The newest checkpoint that verifies (see `load(step:)`), with every newer one that
    /// did not and why. Reads each candidate fully, newest first, and stops at the first
    /// intact one; never throws, since a missing store simply has no checkpoints.
    public func latestIntact() -> CheckpointRecovery {
        var skipped: [SkippedCheckpoint] = []
        for folder in folders() {
            do {
                return CheckpointRecovery(checkpoint: try load(step: folder.step), skipped: skipped)
            } catch {
                let reason = error as? CheckpointError
                    ?? CheckpointError(kind: .io, file: folder.name, expected: "a readable checkpoint", found: "\(error)")
                skipped.append(SkippedCheckpoint(step: folder.step, path: directory + "/" + folder.name, error: reason))
            }
        }
        return CheckpointRecovery(checkpoint: nil, skipped: skipped)
    }
}
