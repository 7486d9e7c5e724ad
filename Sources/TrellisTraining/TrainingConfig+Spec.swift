import Foundation

/// The config as dotted keys and YAML values, listed once: the run spec writes them all, and
/// the run's identity (`RunIdentity`) takes the keys that define the run from them.
extension TrainingConfig {
    /// Every key the config sets, as (dotted key, YAML value), section by section; optionals
    /// that are unset are left out, and relation fanouts are one key per relation
    /// (`model.relation_fanouts.item->user`).
    public var entries: [(key: String, value: String)] {
        var out: [(String, String)] = [("seed", "\(seed)")]
        func section(_ name: String, _ pairs: [(String, String?)]) {
            for (key, value) in pairs { if let value { out.append(("\(name).\(key)", value)) } }
        }
        // Link prediction (the default) writes no task key, so its spec and identity read as they did.
        if task.kind != .linkPrediction { section("task", [("kind", task.kind.rawValue)]) }
        // Sequence keys only where a sequence task reads them, so other runs' specs and identities read as they did.
        let sequence = task.kind == .nextItem
        if sequence { section("task", [("loss", task.loss.rawValue), ("positions", task.positions.rawValue)]) }
        section("model", [
            ("kind", model.kind), ("embedding_size", "\(model.embeddingSize)"), ("layers", "\(model.layers)"),
            ("aggregator", model.aggregator.rawValue), ("fanouts", list(model.fanouts)), ("reg_weight", "\(model.regWeight)"),
            ("rating_relations", model.ratingRelations ? "true" : nil),
            ("head", model.head == .mlp ? nil : model.head.rawValue),
            ("activation", model.activation == .relu ? nil : model.activation.rawValue),
        ] + (sequence ? [
            ("max_length", "\(model.maxLength)"), ("blocks", "\(model.blocks)"), ("heads", "\(model.heads)"),
            ("inner_size", "\(model.innerSize)"), ("dropout", "\(model.dropout)"), ("norm", model.norm.rawValue),
        ] : []) + model.pretrained.keys.sorted().map { type in
            let p = model.pretrained[type]!
            return ("pretrained.\(type)", "{path: \(quoted(p.path)), ids: \(quoted(p.ids))" + (p.tensor.map { ", tensor: \(quoted($0))" } ?? "") + "}")
        } + model.relationFanouts.keys.sorted().map { ("relation_fanouts.\($0)", list(model.relationFanouts[$0]!)) })
        section("data", [
            ("name", quoted(data.name)), ("path", quoted(data.path)), ("format", data.format.map(quoted)), ("split", data.split.rawValue),
            ("ratios", list(data.ratios)), ("train_file", data.trainFile.map(quoted)), ("valid_file", data.validFile.map(quoted)),
            ("test_file", data.testFile.map(quoted)), ("valid_from", data.validFrom.map { "\($0)" }), ("test_from", data.testFrom.map { "\($0)" }),
            ("test_rows", data.testRows.map { "\($0)" }), ("test_start", data.split == .rows ? "\(data.testStart)" : nil),
            ("valid_ratio", data.split == .rows ? "\(data.validRatio)" : nil), ("rating_scale", data.ratingScale.map(list)),
        ] + data.features.keys.sorted().map { type in
            let f = data.features[type]!
            return ("features.\(type)", "{path: \(quoted(f.path)), columns: [\(f.columns.map(quoted).joined(separator: ", "))], dtype: \(f.dtype.rawValue)}")
        })
        section("training", [
            ("epochs", "\(training.epochs)"), ("batch_size", "\(training.batchSize)"), ("negatives", "\(training.negatives)"),
            ("optimizer", training.optimizer.rawValue), ("learning_rate", "\(training.learningRate)"),
            ("weight_decay", "\(training.weightDecay)"), ("clip_grad_norm", training.clipGradNorm.map { "\($0)" }),
            ("threads", "\(training.threads)"), ("schedule", training.schedule == .constant ? nil : training.schedule.rawValue),
            ("plateau_factor", training.schedule == .plateau ? "\(training.plateauFactor)" : nil),
            ("plateau_patience", training.schedule == .plateau ? "\(training.plateauPatience)" : nil),
            ("warmup_steps", training.warmupSteps == 0 ? nil : "\(training.warmupSteps)"),
            ("steps_per_epoch", training.stepsPerEpoch == 0 ? nil : "\(training.stepsPerEpoch)"),
            ("links_per_user", training.linksPerUser == 0 ? nil : "\(training.linksPerUser)"),
        ])
        section("evaluation", [
            ("topk", list(evaluation.topk)), ("valid_metric", quoted(evaluation.validMetric)),
            ("stopping_step", "\(evaluation.stoppingStep)"), ("eval_step", "\(evaluation.evalStep)"),
            ("mask_history", sequence ? "\(evaluation.maskHistory)" : nil),
            ("sampled_negatives", sequence ? "\(evaluation.sampledNegatives)" : nil),
        ])
        section("cluster", [
            ("partitions", "\(cluster.partitions)"), ("partitioner", cluster.partitioner.rawValue), ("mode", cluster.mode.rawValue),
            ("staleness", "\(cluster.staleness)"), ("table_staleness", cluster.tableStaleness == 0 ? nil : "\(cluster.tableStaleness)"),
            ("checkpoint_every", "\(cluster.checkpointEvery)"),
            ("checkpoints_kept", "\(cluster.checkpointsKept)"), ("heartbeat_ms", "\(cluster.heartbeatMilliseconds)"),
            ("worker_timeout_ms", "\(cluster.workerTimeoutMilliseconds)"), ("task_timeout_ms", "\(cluster.taskTimeoutMilliseconds)"),
            ("takeover_ms", "\(cluster.takeoverMilliseconds)"), ("value_encoding", cluster.valueEncoding.rawValue),
            ("shuffle", "\(cluster.shuffle)"), ("compress", "\(cluster.compress)"), ("prefetch", "\(cluster.prefetch)"),
        ])
        return out
    }

    /// The run spec: every entry, overrides (`--seed`, `--epochs`) included, as YAML that
    /// `parse(yaml:)` reads back to an equal value. The coordinator sends this to workers and
    /// servers, so every role runs the config the coordinator parsed, and none patches fields
    /// in after parsing.
    public var spec: String {
        // A field with a dot (`relation_fanouts.item->user`, `features.user`) is one entry of a
        // flow mapping named by the part before the dot.
        var lines: [String] = [], section = "", group = "", members: [String] = []
        func flushGroup() {
            if !members.isEmpty { lines.append("  \(group): {" + members.joined(separator: ", ") + "}") }
            members = []
        }
        for (key, value) in entries {
            guard let dot = key.firstIndex(of: ".") else { lines.append("\(key): \(value)"); continue }
            let name = String(key[..<dot]), field = String(key[key.index(after: dot)...])
            if name != section {
                flushGroup()
                lines.append("\(name):")
                section = name
            }
            if let dot = field.firstIndex(of: "."), ["relation_fanouts", "features", "pretrained"].contains(String(field[..<dot])) {
                let prefix = String(field[..<dot])
                if prefix != group { flushGroup() }
                group = prefix
                members.append("\(quoted(String(field[field.index(after: dot)...]))): \(value)")
            } else {
                flushGroup()
                lines.append("  \(field): \(value)")
            }
        }
        flushGroup()
        return lines.joined(separator: "\n") + "\n"
    }
}

/// `[a, b, c]`; numbers print in their shortest form that reads back exactly.
private func list<T>(_ values: [T]) -> String { "[" + values.map { "\($0)" }.joined(separator: ", ") + "]" }

/// A YAML double-quoted string.
private func quoted(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        case _ where u.value < 0x20: out += String(format: "\\x%02X", u.value)
        default: out.unicodeScalars.append(u)
        }
    }
    return out + "\""
}

extension DataSettings {
    /// The `key=value` lines that decide a split of these settings' source with `seed`: the
    /// seed and the `data` keys but the name, the source's path and format, and the features.
    /// A prepared folder records them and is read only by a config with the same lines.
    public func splitSettings(seed: UInt64) -> [String] {
        var config = TrainingConfig()
        config.seed = seed
        config.data = self
        let skipped: Set<String> = ["data.name", "data.path", "data.format"]
        return config.entries.filter { ($0.key == "seed" || $0.key.hasPrefix("data.")) && !skipped.contains($0.key)
            && !$0.key.hasPrefix("data.features.") }.map { "\($0.key)=\($0.value)" }
    }
}

