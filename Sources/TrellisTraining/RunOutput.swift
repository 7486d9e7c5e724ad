import Foundation
import TrellisCore

/// Writes `metrics.jsonl` and `results.json` under a folder, for a run that succeeds only, and
/// every record as TensorBoard scalars as the run goes (`events.out.tfevents.*`).
///
/// The folder is checked (created if need be, and written to) when this is made, so a bad
/// `--output` is refused before any data loads. Records go to `metrics.jsonl.partial` as the
/// run goes; `finish(results:)` moves it to `metrics.jsonl` and writes `results.json` last,
/// and `discard()` (a failed run) removes it, so a failed run leaves neither file behind.
public struct RunOutput {
    public let directory: URL
    private var partial: URL { directory.appendingPathComponent("metrics.jsonl.partial") }
    private var metrics: URL { directory.appendingPathComponent("metrics.jsonl") }
    private var clusterPartial: URL { directory.appendingPathComponent("cluster.jsonl.partial") }
    private var cluster: URL { directory.appendingPathComponent("cluster.jsonl") }
    /// The run's TensorBoard event file (`tensorboard --logdir` on the folder or its parent).
    public let events: TensorBoardWriter

    public init(directory: String) throws {
        self.directory = URL(fileURLWithPath: directory)
        let files = FileManager.default
        var isDirectory: ObjCBool = false
        if files.fileExists(atPath: directory, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw RunOutputError(path: directory, problem: "expected a folder, found a file") }
        } else {
            do {
                try files.createDirectory(at: self.directory, withIntermediateDirectories: true)
            } catch {
                throw RunOutputError(path: directory, problem: "cannot create the folder (\(Self.blocker(of: directory)))")
            }
        }
        // The real test of writability (permission bits say nothing to root, or on a read-only mount).
        guard files.createFile(atPath: self.directory.appendingPathComponent("metrics.jsonl.partial").path, contents: nil) else {
            throw RunOutputError(path: directory, problem: "cannot write a file in this folder")
        }
        events = try TensorBoardWriter(directory: directory)
    }

    /// Why a folder cannot be made: the nearest existing ancestor is a file, or not writable.
    private static func blocker(of path: String) -> String {
        var url = URL(fileURLWithPath: path)
        var isDirectory: ObjCBool = false
        while !FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && url.path != "/" {
            url.deleteLastPathComponent()
        }
        if !isDirectory.boolValue { return "\(url.path) is a file" }
        return FileManager.default.isWritableFile(atPath: url.path) ? "check the path" : "\(url.path) is not writable"
    }

    /// Appends one line to the run's metrics.
    public func append(_ record: EpochRecord) throws {
        let line = Data((record.jsonLine() + "\n").utf8)
        events.add(record)
        let handle = try FileHandle(forWritingTo: partial)
        defer { try? handle.close() }
        handle.seekToEndOfFile()
        handle.write(line)
    }

    /// Appends one line to the run's `cluster.jsonl` (a cluster run's epochs and events).
    public func append(_ record: ClusterRecord) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        var line = try encoder.encode(record)
        line.append(UInt8(ascii: "\n"))
        if !FileManager.default.fileExists(atPath: clusterPartial.path) {
            guard FileManager.default.createFile(atPath: clusterPartial.path, contents: nil) else {
                throw RunOutputError(path: clusterPartial.path, problem: "cannot create the file")
            }
        }
        let handle = try FileHandle(forWritingTo: clusterPartial)
        defer { try? handle.close() }
        handle.seekToEndOfFile()
        handle.write(line)
    }

    /// Ends a successful run: `metrics.jsonl` replaces any earlier one, then `results.json`
    /// is written atomically (last, as the sign the run finished).
    public func finish(results object: [String: Any]) throws {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted])
        guard rename(partial.path, metrics.path) == 0 else {
            throw RunOutputError(path: directory.path, problem: "cannot move metrics.jsonl.partial to metrics.jsonl")
        }
        if FileManager.default.fileExists(atPath: clusterPartial.path), rename(clusterPartial.path, cluster.path) != 0 {
            throw RunOutputError(path: directory.path, problem: "cannot move cluster.jsonl.partial to cluster.jsonl")
        }
        try data.write(to: directory.appendingPathComponent("results.json"), options: .atomic)
    }

    /// Ends a failed run: its partial metrics are removed; earlier results are left alone.
    public func discard() {
        try? FileManager.default.removeItem(at: partial)
        try? FileManager.default.removeItem(at: clusterPartial)
        try? FileManager.default.removeItem(atPath: events.path)
    }
}

/// An output folder that cannot be used: its path and why.
public struct RunOutputError: Error, CustomStringConvertible {
    public let path: String
    public let problem: String
    public var description: String { "\(Echo.cut(path)): \(problem)" }
}
