/// Which run a checkpoint belongs to: a random run id, written when a fresh run starts and
/// kept across resumes, and a fingerprint of the config keys that define the run.
///
///     settings     "seed=2020", "model.embedding_size=64", ...   sorted key=value lines
///     fingerprint  FNV-1a 64 of the lines joined by "\n"           16 hex digits
///
/// The defining keys are those that change what a checkpoint's numbers mean: the data and its
/// split (the seed draws it), the model, the optimisation, the partitioning and the
/// synchronisation. Not `training.epochs` (resuming with more epochs is supported), nor
/// threads, checkpoint retention, timeouts or the wire encoding.
public struct RunIdentity: Sendable, Equatable {
    /// Random, 16 hex digits; names the run in checkpoints and results.
    public var runID: String
    /// The defining keys as sorted `key=value` lines.
    public let settings: [String]

    /// The identity of a fresh run of `config` (a new run id unless one is given).
    public init(config: TrainingConfig, runID: String = RunIdentity.newRunID()) {
        self.runID = runID
        settings = Self.settings(of: config)
    }

    /// A stable hash of `settings`: the same on every machine and in every process.
    public var fingerprint: String { Self.fingerprint(of: settings) }

    /// A new random run id.
    public static func newRunID() -> String { hex(UInt64.random(in: .min ... .max)) }

    /// FNV-1a 64 of `settings` joined by newlines, as 16 hex digits.
    public static func fingerprint(of settings: [String]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in settings.joined(separator: "\n").utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return hex(hash)
    }

    /// Entries of the config (`TrainingConfig.entries`) that do not define the run: the
    /// dataset's display name, how long and how fast it trains, what else evaluation prints,
    /// and the cluster's timing, retention and wire settings.
    static let incidental: Set<String> = [
        "data.name", "training.epochs", "training.threads", "evaluation.topk", "evaluation.stopping_step", "evaluation.eval_step",
        "cluster.checkpoint_every", "cluster.checkpoints_kept", "cluster.heartbeat_ms", "cluster.worker_timeout_ms",
        "cluster.task_timeout_ms", "cluster.takeover_ms", "cluster.value_encoding", "cluster.shuffle", "cluster.compress",
        "cluster.prefetch",
    ]

    /// The keys of `config` that define the run, as sorted `key=value` lines.
    public static func settings(of config: TrainingConfig) -> [String] {
        config.entries.filter { !incidental.contains($0.key) }.map { "\($0.key)=\($0.value)" }.sorted()
    }

    /// `key stored vs current` for every key whose value differs between two settings
    /// listings (`absent` where a side lacks the key), in key order.
    public static func differences(stored: [String], current: [String]) -> [String] {
        func parse(_ lines: [String]) -> [String: String] {
            var out: [String: String] = [:]
            for line in lines {
                guard let eq = line.firstIndex(of: "=") else { continue }
                out[String(line[..<eq])] = String(line[line.index(after: eq)...])
            }
            return out
        }
        let a = parse(stored), b = parse(current)
        return Set(a.keys).union(b.keys).sorted().compactMap { key in
            a[key] == b[key] ? nil : "\(key) \(a[key] ?? "absent") vs \(b[key] ?? "absent")"
        }
    }

    private static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
