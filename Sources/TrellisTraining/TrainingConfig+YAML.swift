import Foundation
import TrellisCore
import Yams

/// A configuration problem: which file, which key, what was expected.
public struct ConfigError: Error, CustomStringConvertible, Equatable {
    public let file: String
    public let key: String
    public let message: String
    public var description: String { "\(file): \(key.isEmpty ? "" : "\(key): ")\(message)" }

    public init(file: String, key: String, message: String) {
        self.file = file
        self.key = key
        self.message = message
    }
}

extension TrainingConfig {
    /// Reads and validates a YAML config file.
    public static func load(path: String) throws -> TrainingConfig {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ConfigError(file: path, key: "", message: "cannot read the file")
        }
        return try parse(yaml: text, file: path)
    }

    /// Parses YAML text; `file` names it in errors. Unknown keys are errors (a typo should
    /// not silently fall back to a default).
    public static func parse(yaml: String, file: String = "<config>") throws -> TrainingConfig {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: yaml) else { return TrainingConfig() }
            root = node
        } catch {
            throw ConfigError(file: file, key: "", message: "not valid YAML: \(Echo.cut("\(error)", limit: 240))")
        }
        let reader = ConfigReader(file: file)
        var config = TrainingConfig()
        let top = try reader.mapping(root, at: "", allowed: ["seed", "task", "model", "data", "training", "evaluation", "cluster"])
        if let v = top["seed"] { config.seed = UInt64(try reader.int(v, at: "seed", min: 0)) }
        if let t = top["task"] {
            let s = try reader.mapping(t, at: "task", allowed: ["kind", "loss", "positions"])
            if let v = s["kind"] { config.task.kind = try reader.choice(v, at: "task.kind") }
            if let v = s["loss"] { config.task.loss = try reader.choice(v, at: "task.loss") }
            if let v = s["positions"] { config.task.positions = try reader.choice(v, at: "task.positions") }
        }
        if let m = top["model"] {
            let s = try reader.mapping(m, at: "model", allowed: ["kind", "embedding_size", "layers", "reg_weight",
                                                                  "aggregator", "fanouts", "relation_fanouts", "rating_relations", "head", "activation",
                                                                  "max_length", "blocks", "heads", "inner_size", "dropout", "norm", "pretrained"])
            if let v = s["kind"] { config.model.kind = try reader.name(v, at: "model.kind") }
            if let v = s["embedding_size"] { config.model.embeddingSize = try reader.int(v, at: "model.embedding_size", min: 1, max: 4096) }
            if let v = s["layers"] { config.model.layers = try reader.int(v, at: "model.layers", min: 0, max: 8) }
            if let v = s["reg_weight"] { config.model.regWeight = try reader.float(v, at: "model.reg_weight", min: 0) }
            if let v = s["rating_relations"] { config.model.ratingRelations = try reader.bool(v, at: "model.rating_relations") }
            if let v = s["head"] { config.model.head = try reader.choice(v, at: "model.head") }
            if let v = s["activation"] { config.model.activation = try reader.choice(v, at: "model.activation") }
            if let v = s["aggregator"] { config.model.aggregator = try reader.choice(v, at: "model.aggregator") }
            if let v = s["max_length"] { config.model.maxLength = try reader.int(v, at: "model.max_length", min: 1, max: 4096) }
            if let v = s["blocks"] { config.model.blocks = try reader.int(v, at: "model.blocks", min: 0, max: 64) }
            if let v = s["heads"] { config.model.heads = try reader.int(v, at: "model.heads", min: 1, max: 64) }
            if let v = s["inner_size"] { config.model.innerSize = try reader.int(v, at: "model.inner_size", min: 0, max: 65536) }
            if let v = s["dropout"] {
                config.model.dropout = try reader.float(v, at: "model.dropout", min: 0)
                guard config.model.dropout < 1 else { throw reader.fail("model.dropout", "expected a rate below 1, got \(reader.echo(v))") }
            }
            if let v = s["norm"] { config.model.norm = try reader.choice(v, at: "model.norm") }
            if let v = s["pretrained"] { config.model.pretrained = try pretrained(v, reader: reader) }
            if let v = s["fanouts"] { config.model.fanouts = try reader.list(v, at: "model.fanouts").map { try reader.int($0, at: "model.fanouts", min: -1, max: 100_000) } }
            if let v = s["relation_fanouts"] {
                guard case .mapping(let m) = v else { throw reader.fail("model.relation_fanouts", "expected a mapping of relation name to a list") }
                for (k, list) in m {
                    let name = k.string ?? "?"
                    config.model.relationFanouts[name] = try reader.list(list, at: "model.relation_fanouts.\(name)")
                        .map { try reader.int($0, at: "model.relation_fanouts.\(name)", min: -1, max: 100_000) }
                }
            }
        }
        if let d = top["data"] {
            let s = try reader.mapping(d, at: "data", allowed: ["name", "path", "format", "split", "ratios", "train_file",
                                                                 "valid_file", "test_file", "valid_from", "test_from", "rating_scale",
                                                                 "test_rows", "test_start", "valid_ratio", "features"])
            if let v = s["name"] { config.data.name = try reader.string(v, at: "data.name") }
            if let v = s["path"] { config.data.path = try reader.string(v, at: "data.path") }
            if let v = s["format"] { config.data.format = try reader.string(v, at: "data.format") }
            if let v = s["split"] { config.data.split = try reader.choice(v, at: "data.split") }
            if let v = s["ratios"] { config.data.ratios = try reader.list(v, at: "data.ratios").map { try reader.double($0, at: "data.ratios", min: 0, exclusive: true) } }
            if let v = s["train_file"] { config.data.trainFile = try reader.string(v, at: "data.train_file") }
            if let v = s["valid_file"] { config.data.validFile = try reader.string(v, at: "data.valid_file") }
            if let v = s["test_file"] { config.data.testFile = try reader.string(v, at: "data.test_file") }
            if let v = s["valid_from"] { config.data.validFrom = try reader.double(v, at: "data.valid_from") }
            if let v = s["test_from"] { config.data.testFrom = try reader.double(v, at: "data.test_from") }
            if let v = s["test_rows"] { config.data.testRows = try reader.int(v, at: "data.test_rows", min: 1, max: Int(Int32.max)) }
            if let v = s["test_start"] { config.data.testStart = try reader.int(v, at: "data.test_start", min: 0, max: Int(Int32.max)) }
            if let v = s["valid_ratio"] {
                config.data.validRatio = try reader.double(v, at: "data.valid_ratio", min: 0)
                guard config.data.validRatio < 1 else { throw reader.fail("data.valid_ratio", "expected a share below 1, got \(reader.echo(v))") }
            }
            if let v = s["rating_scale"], !reader.isNull(v) {
                config.data.ratingScale = try reader.list(v, at: "data.rating_scale").map { try reader.double($0, at: "data.rating_scale") }
            }
            if let v = s["features"] { config.data.features = try features(v, reader: reader) }
        }
        if let t = top["training"] {
            let s = try reader.mapping(t, at: "training", allowed: ["epochs", "batch_size", "negatives", "optimizer", "learning_rate",
                                                                     "weight_decay", "clip_grad_norm", "threads", "schedule", "warmup_steps",
                                                                     "steps_per_epoch", "plateau_factor", "plateau_patience", "links_per_user"])
            if let v = s["epochs"] { config.training.epochs = try reader.int(v, at: "training.epochs", min: 1, max: 1_000_000) }
            if let v = s["batch_size"] { config.training.batchSize = try reader.int(v, at: "training.batch_size", min: 1, max: 100_000_000) }
            if let v = s["negatives"] { config.training.negatives = try reader.int(v, at: "training.negatives", min: 1, max: 1000) }
            if let v = s["optimizer"] { config.training.optimizer = try reader.choice(v, at: "training.optimizer") }
            if let v = s["learning_rate"] { config.training.learningRate = try reader.float(v, at: "training.learning_rate", min: 0, exclusive: true) }
            if let v = s["weight_decay"] { config.training.weightDecay = try reader.float(v, at: "training.weight_decay", min: 0) }
            if let v = s["clip_grad_norm"], !reader.isNull(v) { config.training.clipGradNorm = try reader.float(v, at: "training.clip_grad_norm", min: 0, exclusive: true) }
            if let v = s["threads"] { config.training.threads = try reader.int(v, at: "training.threads", min: 1, max: 1024) }
            if let v = s["schedule"] { config.training.schedule = try reader.choice(v, at: "training.schedule") }
            if let v = s["steps_per_epoch"] { config.training.stepsPerEpoch = try reader.int(v, at: "training.steps_per_epoch", min: 0, max: 100_000_000) }
            if let v = s["links_per_user"] { config.training.linksPerUser = try reader.int(v, at: "training.links_per_user", min: 0, max: 100_000_000) }
            if let v = s["plateau_factor"] {
                config.training.plateauFactor = try reader.float(v, at: "training.plateau_factor", min: 0, exclusive: true)
                guard config.training.plateauFactor < 1 else { throw reader.fail("training.plateau_factor", "expected a factor below 1, got \(reader.echo(v))") }
            }
            if let v = s["plateau_patience"] { config.training.plateauPatience = try reader.int(v, at: "training.plateau_patience", min: 0, max: 1_000_000) }
            if let v = s["warmup_steps"] { config.training.warmupSteps = try reader.int(v, at: "training.warmup_steps", min: 0, max: 100_000_000) }
        }
        if let e = top["evaluation"] {
            let s = try reader.mapping(e, at: "evaluation", allowed: ["topk", "valid_metric", "stopping_step", "eval_step", "mask_history", "sampled_negatives"])
            if let v = s["topk"] { config.evaluation.topk = try reader.list(v, at: "evaluation.topk").map { try reader.int($0, at: "evaluation.topk", min: 1, max: 100_000) } }
            if let v = s["valid_metric"] { config.evaluation.validMetric = try reader.string(v, at: "evaluation.valid_metric") }
            if let v = s["stopping_step"] { config.evaluation.stoppingStep = try reader.int(v, at: "evaluation.stopping_step", min: 1) }
            if let v = s["eval_step"] { config.evaluation.evalStep = try reader.int(v, at: "evaluation.eval_step", min: 1) }
            if let v = s["mask_history"] { config.evaluation.maskHistory = try reader.bool(v, at: "evaluation.mask_history") }
            if let v = s["sampled_negatives"] { config.evaluation.sampledNegatives = try reader.int(v, at: "evaluation.sampled_negatives", min: 0, max: 100_000) }
        }
        if let c = top["cluster"] {
            let day = 86_400_000  // milliseconds: the longest timeout or interval taken
            let s = try reader.mapping(c, at: "cluster", allowed: ["partitions", "partitioner", "mode", "staleness", "table_staleness", "checkpoint_every",
                                                                    "checkpoints_kept", "heartbeat_ms", "worker_timeout_ms", "task_timeout_ms", "takeover_ms",
                                                                    "value_encoding", "shuffle", "compress", "prefetch"])
            if let v = s["partitions"] { config.cluster.partitions = try reader.int(v, at: "cluster.partitions", min: 1, max: ClusterSettings.maxPartitions) }
            if let v = s["partitioner"] { config.cluster.partitioner = try reader.choice(v, at: "cluster.partitioner") }
            if let v = s["mode"] { config.cluster.mode = try reader.choice(v, at: "cluster.mode") }
            if let v = s["staleness"] { config.cluster.staleness = try reader.int(v, at: "cluster.staleness", min: 0, max: 1_000_000) }
            if let v = s["table_staleness"] { config.cluster.tableStaleness = try reader.int(v, at: "cluster.table_staleness", min: 0, max: 1_000_000) }
            if let v = s["checkpoint_every"] { config.cluster.checkpointEvery = try reader.int(v, at: "cluster.checkpoint_every", min: 0) }
            if let v = s["checkpoints_kept"] { config.cluster.checkpointsKept = try reader.int(v, at: "cluster.checkpoints_kept", min: 1, max: 1000) }
            if let v = s["heartbeat_ms"] { config.cluster.heartbeatMilliseconds = try reader.int(v, at: "cluster.heartbeat_ms", min: 10, max: day) }
            if let v = s["worker_timeout_ms"] { config.cluster.workerTimeoutMilliseconds = try reader.int(v, at: "cluster.worker_timeout_ms", min: 50, max: day) }
            if let v = s["task_timeout_ms"] { config.cluster.taskTimeoutMilliseconds = try reader.int(v, at: "cluster.task_timeout_ms", min: 100, max: day) }
            if let v = s["takeover_ms"] { config.cluster.takeoverMilliseconds = try reader.int(v, at: "cluster.takeover_ms", min: 0, max: day) }
            if let v = s["value_encoding"] { config.cluster.valueEncoding = try reader.choice(v, at: "cluster.value_encoding") }
            if let v = s["shuffle"] { config.cluster.shuffle = try reader.bool(v, at: "cluster.shuffle") }
            if let v = s["compress"] { config.cluster.compress = try reader.bool(v, at: "cluster.compress") }
            if let v = s["prefetch"] { config.cluster.prefetch = try reader.bool(v, at: "cluster.prefetch") }
        }
        try config.validate(file: file)
        return config
    }

    /// `model.pretrained`: node type -> `{path, ids, tensor}`.
    static func pretrained(_ node: Node, reader: ConfigReader) throws -> [String: PretrainedSource] {
        guard case .mapping(let m) = node else { throw reader.fail("model.pretrained", "expected a mapping of node type to {path, ids, tensor}") }
        var out: [String: PretrainedSource] = [:]
        for (k, v) in m {
            guard let type = k.string, !type.isEmpty else { throw reader.fail("model.pretrained", "node type names must be non-empty strings") }
            let at = "model.pretrained.\(type)"
            let s = try reader.mapping(v, at: at, allowed: ["path", "ids", "tensor"])
            guard let path = s["path"], let ids = s["ids"] else { throw reader.fail(at, "expected both path and ids") }
            var source = PretrainedSource(path: try reader.string(path, at: "\(at).path"), ids: try reader.string(ids, at: "\(at).ids"))
            if let t = s["tensor"] { source.tensor = try reader.string(t, at: "\(at).tensor") }
            out[type] = source
        }
        return out
    }

    /// `data.features`: node type -> `{path, columns, dtype}`.
    static func features(_ node: Node, reader: ConfigReader) throws -> [String: FeatureSource] {
        guard case .mapping(let m) = node else { throw reader.fail("data.features", "expected a mapping of node type to {path, columns, dtype}") }
        var out: [String: FeatureSource] = [:]
        for (k, v) in m {
            guard let type = k.string, !type.isEmpty else { throw reader.fail("data.features", "node type names must be non-empty strings") }
            let at = "data.features.\(type)"
            let s = try reader.mapping(v, at: at, allowed: ["path", "columns", "dtype"])
            guard let path = s["path"], let columns = s["columns"] else { throw reader.fail(at, "expected both path and columns") }
            var source = FeatureSource(path: try reader.string(path, at: "\(at).path"),
                                       columns: try reader.list(columns, at: "\(at).columns").map { try reader.string($0, at: "\(at).columns") })
            guard !source.columns.isEmpty, Set(source.columns).count == source.columns.count else {
                throw reader.fail("\(at).columns", "expected one or more distinct column names, got \(source.columns)")
            }
            if let d = s["dtype"] { source.dtype = try reader.choice(d, at: "\(at).dtype") }
            out[type] = source
        }
        return out
    }
}

/// Config spellings of the interaction formats.
public enum InteractionFormatName: String, CaseIterable {
    case recbole
    case movielensUData = "movielens-udata"
    case movielensDat = "movielens-dat"
    case movielensCSV = "movielens-csv"
    /// A folder written by `trellis data prepare` (already split).
    case prepared
}
