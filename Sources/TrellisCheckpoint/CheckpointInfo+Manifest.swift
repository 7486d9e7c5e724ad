import Foundation

/// The on-disk spelling of `CheckpointInfo`: `manifest.json` in each checkpoint folder.
///
/// Snake-case keys and hex checksums so that a person (or `jq`) can read it.
struct CheckpointManifest: Codable {
    struct File: Codable {
        var name: String
        var bytes: Int
        /// Eight lowercase hex digits.
        var crc32: String
    }

    /// Always `trellis-checkpoint`, so a stray JSON file is not mistaken for a manifest.
    var format: String
    var version: Int
    var step: Int
    var created_unix: Int64
    var files: [File]
    var extras: [String: String]
    var tensors: [String]

    static let formatName = "trellis-checkpoint"

    init(_ info: CheckpointInfo) {
        format = Self.formatName
        version = info.formatVersion
        step = info.step
        created_unix = info.createdUnixTime
        files = info.files.map { File(name: $0.name, bytes: $0.bytes, crc32: CRC32.hex($0.crc32)) }
        extras = info.extras
        tensors = info.tensorNames
    }

    /// Pretty, key-sorted JSON with a trailing newline.
    func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return Array(try encoder.encode(self)) + [UInt8(ascii: "\n")]
    }

    /// Parses and checks a manifest read from `file` in the folder `path` of step `step`.
    static func decode(_ bytes: [UInt8], file: String, path: String, step: Int) throws -> CheckpointInfo {
        let manifest: CheckpointManifest
        do {
            manifest = try JSONDecoder().decode(CheckpointManifest.self, from: Data(bytes))
        } catch {
            throw CheckpointError(kind: .invalidManifest, file: file, expected: "a well-formed manifest",
                                  found: SafeTensors.summary(of: error))
        }
        func invalid(_ field: String, _ expected: String, _ found: String) -> CheckpointError {
            CheckpointError(kind: .invalidManifest, file: file, tensor: field, expected: expected, found: found)
        }
        guard manifest.format == formatName else {
            throw invalid("format", "\"\(formatName)\"", "\"\(manifest.format)\"")
        }
        guard manifest.version == CheckpointStore.formatVersion else {
            throw invalid("version", "\(CheckpointStore.formatVersion)", "\(manifest.version)")
        }
        guard manifest.step == step else {
            throw invalid("step", "\(step) (from the folder name)", "\(manifest.step)")
        }
        var files: [CheckpointFile] = []
        for entry in manifest.files {
            // File names come from disk: refuse anything that would leave the folder.
            guard !entry.name.isEmpty, !entry.name.contains("/"), entry.name != "..", entry.name != "." else {
                throw invalid("files", "a plain file name", "\"\(entry.name)\"")
            }
            guard entry.crc32.count == 8, let crc = UInt32(entry.crc32, radix: 16), entry.bytes >= 0 else {
                throw invalid("files", "a size and an 8-digit hex crc32 for \(entry.name)",
                              "\(entry.bytes) bytes, crc32 \"\(entry.crc32)\"")
            }
            files.append(CheckpointFile(name: entry.name, bytes: entry.bytes, crc32: crc))
        }
        guard files.contains(where: { $0.name == CheckpointStore.stateFileName }) else {
            throw invalid("files", "an entry for \(CheckpointStore.stateFileName)",
                          files.map(\.name).joined(separator: ", "))
        }
        return CheckpointInfo(step: step, path: path, createdUnixTime: manifest.created_unix, files: files,
                              extras: manifest.extras, tensorNames: manifest.tensors, formatVersion: manifest.version)
    }
}
