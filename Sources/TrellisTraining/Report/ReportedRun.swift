import Foundation

/// A finished run read back from its `--output` folder for `trellis report`: every record of
/// `metrics.jsonl` and the summary fields of `results.json`. Nothing is trusted: a missing
/// file, a line that is not a record, or a field of the wrong type is an error naming the file,
/// the line and what was expected.
public struct ReportedRun {
    /// The folder's last path component, which names the run in legends.
    public let name: String
    public let directory: String
    /// results.json's summary, with `metrics.jsonl`'s records in file order (per-epoch records,
    /// `valid` or `train`, then `test`).
    public let summary: RunSummary
    /// `peak_memory_bytes`, `run_id`, `workers`, where results.json has them.
    public let peakMemoryBytes: Double?
    public let runID: String?
    public let workers: Int?
    /// `cluster.jsonl`'s lines (a cluster run's epochs and events), empty for one process.
    public let cluster: [ClusterRecord]

    /// Reads `directory`/metrics.jsonl and results.json.
    public init(directory: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ReportError(file: directory, line: nil, "no such folder (expected the --output folder of trellis train or coordinator start)")
        }
        self.directory = directory
        name = URL(fileURLWithPath: directory).standardizedFileURL.lastPathComponent
        let metricsPath = (directory as NSString).appendingPathComponent("metrics.jsonl")
        let resultsPath = (directory as NSString).appendingPathComponent("results.json")
        for path in [metricsPath, resultsPath] where !FileManager.default.fileExists(atPath: path) {
            throw ReportError(file: path, line: nil, "missing (a run writes metrics.jsonl and results.json when it finishes; a failed or running one has neither)")
        }
        guard let text = try? String(contentsOfFile: metricsPath, encoding: .utf8) else {
            throw ReportError(file: metricsPath, line: nil, "cannot be read as UTF-8 text")
        }
        var records: [EpochRecord] = []
        for (k, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where !line.isEmpty {
            guard let record = try? JSONDecoder().decode(EpochRecord.self, from: Data(line.utf8)) else {
                throw ReportError(file: metricsPath, line: k + 1, "expected a JSON object with epoch (integer), split, loss, "
                                  + "train_seconds and eval_seconds (numbers), found \(Self.cut(line))")
            }
            records.append(record)
        }
        guard records.contains(where: { $0.split != "test" }) else {
            throw ReportError(file: metricsPath, line: nil, "holds no epoch record (valid or train)")
        }

        guard let data = FileManager.default.contents(atPath: resultsPath),
              let results = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw ReportError(file: resultsPath, line: nil, "expected a JSON object")
        }
        func field<T>(_ key: String, _ type: T.Type, _ what: String) throws -> T {
            guard let value = results[key] as? T else {
                throw ReportError(file: resultsPath, line: nil, "field \(key): expected \(what), found \(results[key].map { Self.cut("\($0)") } ?? "none")")
            }
            return value
        }
        summary = RunSummary(model: try field("model", String.self, "a string"), dataset: try field("dataset", String.self, "a string"),
                             epochs: try field("epochs", Int.self, "an integer"), bestEpoch: try field("best_epoch", Int.self, "an integer"),
                             secondsPerEpoch: try field("seconds_per_epoch", Double.self, "a number"),
                             medianSecondsPerEpoch: try field("median_seconds_per_epoch", Double.self, "a number"),
                             valid: results["valid"] as? [String: Double] ?? [:],
                             test: try field("test", [String: Double].self, "an object of numbers"), records: records)
        peakMemoryBytes = results["peak_memory_bytes"] as? Double
        runID = results["run_id"] as? String
        workers = results["workers"] as? Int
        cluster = try Self.clusterRecords((directory as NSString).appendingPathComponent("cluster.jsonl"))
    }

    /// The per-epoch records (no `test` line), in epoch order.
    /// Every line of `path` as a `ClusterRecord`; none when the file is absent.
    static func clusterRecords(_ path: String) throws -> [ClusterRecord] {
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ReportError(file: path, line: nil, "cannot be read as UTF-8 text")
        }
        return try text.split(separator: "\n", omittingEmptySubsequences: false).enumerated().compactMap { k, line in
            guard !line.isEmpty else { return nil }
            do { return try JSONDecoder().decode(ClusterRecord.self, from: Data(line.utf8)) } catch {
                throw ReportError(file: path, line: k + 1, "expected a JSON object with kind (epoch, checkpoint, resumed, "
                                  + "worker_joined or worker_lost), epoch, step and at, found \(Self.cut(line))")
            }
        }
    }

    public var epochRecords: [EpochRecord] { summary.records.filter { $0.split != "test" }.sorted { $0.epoch < $1.epoch } }

    static func cut(_ text: some StringProtocol) -> String { text.count > 80 ? "\"\(text.prefix(80))…\"" : "\"\(text)\"" }
}

/// A run folder `trellis report` cannot read: the file, the line if any, what was wrong.
public struct ReportError: Error, CustomStringConvertible {
    public let file: String
    public let line: Int?
    public let problem: String
    public init(file: String, line: Int?, _ problem: String) {
        self.file = file
        self.line = line
        self.problem = problem
    }
    public var description: String { "\(file)\(line.map { ":\($0)" } ?? ""): \(problem)" }
}
