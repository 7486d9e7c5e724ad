import Foundation
import TrellisData
import TrellisGraph
import TrellisTraining
import TrellisWire

/// A run's partitions as files (`trellis data partition`), so that a coordinator schedules
/// without ever holding the graph (DGL's `partition_graph` output plays the same part). One
/// folder with
///
///     partitions.json    format, version, the config keys that decided the partitions, the
///                        schema, the partitioning's report, the plan's counts, and every
///                        file's size and CRC-32
///     book.bin           the partition book: every node's owner (UInt16), node type by type
///     tables.bin         frozen feature tables and pretrained embedding rows (none: empty lists)
///     part-NNNNN.frame   each partition's assignment frame: its adjacency rows with their edge
///                        attributes, its training links (and ratings), validation and test links
///
/// `open` checks the manifest against the config, then every file's size and checksum (the
/// parts streamed, never held), and decodes the book and tables before anything is built; a
/// folder that does not match is refused with the file and what differs. A worker owning one
/// partition is sent its file as it is, with its session written in; several are decoded and
/// merged. Files are written to `.tmp` and renamed,
/// the manifest last.
public struct PartitionFolder: Sendable {
    public static let format = "trellis-partitions", version = 1
    public let path: String
    public let manifest: Manifest
    /// Bounds for decoding the part frames (the schema's counts).
    let limits: WireLimits

    public struct Manifest: Codable, Sendable {
        public var format: String
        public var version: Int
        /// The `key=value` lines of `PartitionFolder.settings(of:)` it was written for.
        public var settings: [String]
        public var dataset: String
        public var users: Int
        public var items: Int
        public var train: Int
        public var hasValidation: Bool
        public var ratingMean: Float
        public var ratingScale: [Float]?
        public var exampleCounts: [Int]
        public var schema: GraphSchema
        public var report: PartitionReport
        public var files: [String: FileEntry]
    }

    public struct FileEntry: Codable, Sendable, Equatable {
        public var bytes: Int
        public var crc32: UInt32
    }

    /// The config keys that decide a run's partitions: the data and its split (the seed draws
    /// it), the task (which links, in what order), what shapes the graph and the example count
    /// (`model.kind`, `model.rating_relations`, `model.max_length`, `training.links_per_user`),
    /// pretrained rows, and the partitioning. Not the data's name, path or format: the folder
    /// holds what they gave.
    public static func settings(of config: TrainingConfig) -> [String] {
        let kept: Set<String> = ["seed", "model.kind", "model.rating_relations", "model.max_length",
                                 "training.links_per_user", "cluster.partitions", "cluster.partitioner"]
        let skipped: Set<String> = ["data.name", "data.path", "data.format"]
        return config.entries.filter { e in
            (kept.contains(e.key) || e.key.hasPrefix("data.") || e.key.hasPrefix("task.") || e.key.hasPrefix("model.pretrained."))
                && !skipped.contains(e.key)
        }.map { "\($0.key)=\($0.value)" }.sorted()
    }

    static func partFile(_ p: Int) -> String { String(format: "part-%05d.frame", p) }

    func fail(_ file: String, _ field: String, _ expected: String, _ found: String) -> DataError {
        DataError(kind: .invalidValue, file: "\(path)/\(file)", line: 0, field: field, expected: expected, found: found)
    }

    static let manifestName = "partitions.json"

    /// `name`'s bytes, checked against the manifest's size and CRC-32.
    func read(_ name: String) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: try entry(name).bytes)
        try bytes.withUnsafeMutableBytes { try load(name, into: $0) }
        return bytes
    }

    /// Checks `name`'s size and CRC-32 against the manifest without holding it.
    func check(_ name: String) throws { try load(name, into: nil) }

    /// The bytes of partition `p`'s frame, for `frame(_:session:into:)` (`open` found every
    /// part in the manifest).
    func frameBytes(_ p: Int) -> Int { manifest.files[Self.partFile(p)]!.bytes }

    /// Writes partition `p`'s assignment frame into `buffer` (`frameBytes(p)` long) as the file
    /// holds it, checked against the manifest, with `session` written in and the frame's CRC
    /// made again: the one copy of the partition this process makes.
    func frame(_ p: Int, session: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws {
        try load(Self.partFile(p), into: buffer)
        // The header starts with the session; the CRC closes the frame.
        buffer.storeBytes(of: session.littleEndian, toByteOffset: Frame.prefixSize, as: UInt64.self)
        let end = buffer.count - Frame.trailerSize
        buffer.storeBytes(of: CRC32.checksum(UnsafeRawBufferPointer(rebasing: buffer[0..<end])).littleEndian,
                          toByteOffset: end, as: UInt32.self)
    }

    func entry(_ name: String) throws -> FileEntry {
        guard let entry = manifest.files[name] else { throw fail(Self.manifestName, "files.\(name)", "a size and a checksum", "none") }
        return entry
    }

    /// Reads `name` 4 MiB at a time (a part can be hundreds of MB), into `buffer` when given
    /// (the manifest's size long), and checks its size and CRC-32 against the manifest.
    func load(_ name: String, into buffer: UnsafeMutableRawBufferPointer?) throws {
        let entry = try entry(name), file = "\(path)/\(name)"
        guard let handle = FileHandle(forReadingAtPath: file) else { throw DataError.missingFile(file) }
        defer { try? handle.close() }
        var bytes = 0, crc: UInt32 = 0
        while let chunk = try handle.read(upToCount: 4 << 20), !chunk.isEmpty {
            chunk.withUnsafeBytes { raw in
                crc = CRC32.update(crc, with: raw)
                if let buffer, bytes + raw.count <= buffer.count {
                    UnsafeMutableRawBufferPointer(rebasing: buffer[bytes..<(bytes + raw.count)]).copyMemory(from: raw)
                }
            }
            bytes += chunk.count
        }
        guard bytes == entry.bytes else { throw fail(name, "bytes", "\(entry.bytes) bytes (the manifest's)", "\(bytes) bytes") }
        guard crc == entry.crc32 else { throw fail(name, "crc32", "crc32 \(entry.crc32) (the manifest's)", "crc32 \(crc): the file changed") }
    }

    /// Partition `p`'s single-partition assignment (session 0), checked against the manifest
    /// and the book: its rows are of nodes it owns, its links of users it owns.
    func part(_ p: Int, book: PartitionBook) throws -> Assignment {
        let name = Self.partFile(p)
        // The whole assignment is the frame's header; the manifest's size and CRC already bound it.
        let bytes = try read(name)
        let layout = try Frame.check(bytes, maxBodyBytes: Int(UInt32.max), maxHeaderBytes: Int(UInt32.max))
        guard case .assignment(let a) = try Message.decode(bytes, layout: layout, limits: limits) else {
            throw fail(name, "kind", "an assignment frame", "another message")
        }
        let relations = manifest.schema.relations
        guard a.partitions == [p], a.targets.count == relations.count, a.linkUsers.count == 1 else {
            throw fail(name, "partitions", "partition \(p)'s rows of \(relations.count) relations and one list of links", "others")
        }
        for (r, relation) in relations.enumerated() where a.targets[r].contains(where: { book.owner(type: relation.target, node: $0) != p }) {
            throw fail(name, "targets[\(r)]", "nodes partition \(p) owns", "another partition's")
        }
        let users = a.linkUsers[0] + a.validLinks.flatMap(\.users) + a.testLinks.flatMap(\.users)
        guard users.allSatisfy({ book.owner(type: GraphTopology.user, node: $0) == p }) else {
            throw fail(name, "links", "links of users partition \(p) owns", "another partition's")
        }
        return a
    }

    /// The assignment of a worker owning `partitions`, read from their part files (each read,
    /// checked and decoded once). A folder's plan holds no whole-graph model, so a worker holds
    /// the adjacency of the partitions it owns and no other.
    func assignment(session: UInt64, partitions: [Int], book: PartitionBook) throws -> Assignment {
        let parts = try partitions.map { try part($0, book: book) }
        if parts.count == 1 {  // the usual case: nothing to merge
            var a = parts[0]
            a.session = session
            return a
        }
        return Assignment.merged(parts, widths: manifest.schema.relations.map(\.attributes.count), session: session)
    }
}
