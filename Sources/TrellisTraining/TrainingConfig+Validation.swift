import TrellisCore

extension TrainingConfig {
    /// Cross-field checks (each key's own range is checked as it is read).
    public func validate(file: String = "<config>") throws {
        func fail(_ key: String, _ message: String) -> ConfigError { ConfigError(file: file, key: Echo.cut(key), message: message) }
        switch data.split {
        case .ratio, .users:
            let sum = data.ratios.reduce(0, +)
            guard data.ratios.count == 2 || data.ratios.count == 3, data.ratios.allSatisfy({ $0.isFinite && $0 > 0 }),
                  abs(sum - 1) <= 1e-6 else {
                throw fail("data.ratios", "expected 2 or 3 shares (train, test or train, valid, test), each greater than 0, "
                           + "that sum to 1, got \(Echo.cut("\(data.ratios)"))")
            }
        case .files:
            guard data.trainFile != nil, data.testFile != nil else {
                throw fail("data.split", "split 'files' needs data.train_file and data.test_file")
            }
        case .time:
            guard let v = data.validFrom, let t = data.testFrom, v <= t else {
                throw fail("data.split", "split 'time' needs data.valid_from <= data.test_from")
            }
        case .rows:
            guard let rows = data.testRows else {
                throw fail("data.split", "split 'rows' needs data.test_rows (u1: 20000)")
            }
            // Read from YAML these are range-checked already; a config built in code is checked here.
            guard rows >= 1, data.testStart >= 0 else {
                throw fail("data.test_rows", "expected test_rows >= 1 and test_start >= 0, got \(rows) and \(data.testStart)")
            }
            guard data.validRatio >= 0 && data.validRatio < 1 else {
                throw fail("data.valid_ratio", "expected a share in [0, 1), got \(data.validRatio)")
            }
        case .leaveOneOut: break
        }
        if cluster.tableStaleness > 0, cluster.mode != .async {
            throw fail("cluster.table_staleness", "only used by mode 'async' (sync reads one version a step), but cluster.mode is '\(cluster.mode.rawValue)'")
        }
        // The row-block keys mean nothing to other splits; silently ignoring them would hide a mistake.
        if data.split != .rows {
            for (key, set) in [("data.test_rows", data.testRows != nil), ("data.test_start", data.testStart != 0),
                               ("data.valid_ratio", data.validRatio != 0)] where set {
                throw fail(key, "only used by split 'rows', but data.split is '\(data.split.rawValue)'")
            }
        }
        if let f = data.format, InteractionFormatName(rawValue: f) == nil {
            throw fail("data.format", "expected one of \(InteractionFormatName.allCases.map(\.rawValue)), got '\(Echo.cut(f))'")
        }
        if let scale = data.ratingScale, !(scale.count == 2 && scale[0] <= scale[1]) {
            throw fail("data.rating_scale", "expected [lowest, highest] with lowest <= highest, got \(Echo.cut("\(scale)"))")
        }
        // A user seen in no training link has nothing a user table learned; only a sequence
        // task ranks from the items themselves.
        if data.split == .users, task.kind != .nextItem {
            throw fail("data.split", "split 'users' holds whole users out, which only task.kind next_item can rank (from their items); "
                       + "task.kind is '\(task.kind.rawValue)'")
        }
        if training.linksPerUser > 0, task.kind == .nextItem {
            throw fail("training.links_per_user", "groups the links of a link or rating task by user; task.kind next_item "
                       + "trains on windows of whole sequences")
        }
        // Which keys a model reads, and what it needs of them, its registry entry checks.
        if let message = task.kind.validMetricProblem(evaluation.validMetric, topk: evaluation.topk) {
            throw fail("evaluation.valid_metric", message)
        }
    }
}

extension TaskSettings.Kind {
    /// Why `metric` cannot pick the best epoch of this task (nil when it can).
    func validMetricProblem(_ metric: String, topk: [Int]) -> String? {
        switch self {
        case .linkPrediction, .nextItem:
            let parts = metric.split(separator: "@")
            let names = ["ndcg", "recall", "hit", "precision", "mrr"]
            guard parts.count == 2, names.contains(String(parts[0])), let k = Int(parts[1]), topk.contains(k) else {
                return "expected NAME@K with NAME in \(names) and K in topk \(Echo.cut("\(topk)")), got '\(Echo.cut(metric))'"
            }
        case .rating:
            guard ["rmse", "mae"].contains(metric) else {
                return "expected rmse or mae for task.kind rating (lower is better), got '\(Echo.cut(metric))'"
            }
        }
        return nil
    }
}
