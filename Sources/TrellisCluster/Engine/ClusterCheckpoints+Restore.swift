import Foundation
import Logging
import TrellisCheckpoint
import TrellisTensor
import TrellisTraining

/// Reading a checkpoint back. Its bytes come from disk, so nothing is trusted: the run's
/// fingerprint, every tensor's name and shape (`param/`, `best/`, optimizer buffers against
/// the parameters they step), and every word's range are checked, and only then is the run
/// changed. A bad checkpoint is a `CheckpointError` (or a `RunIdentityError`), never a trap.
extension ClusterCheckpoints {
    /// Restores the newest intact checkpoint into `run`; returns its path, or nil when there is
    /// none. Torn or corrupted ones are reported and skipped; one of another run is refused.
    public func restoreLatest(into run: TrainingRun, logger: Logger) throws -> String? {
        let recovery = store.latestIntact()
        for skipped in recovery.skipped { logger.warning("\(skipped)") }
        guard let loaded = recovery.checkpoint else { return nil }
        try Self.check(loaded.info, belongsTo: run.identity)
        let reader = StateReader(state: try loaded.state(), file: loaded.info.path)

        // Tensors: every name known, every shape the run's.
        let current = run.snapshot()
        var weights: [String: Tensor] = [:], best: [String: Tensor] = [:]
        var dense = OptimizerState(), rows = OptimizerState()
        for (name, t) in reader.state.tensors.sorted(by: { $0.key < $1.key }) {
            if let p = name.prefixed("param/") { weights[p] = t
            } else if let p = name.prefixed("best/") { best[p] = t
            } else if let p = name.prefixed("opt.dense/") { dense.buffers[p] = t.data
            } else if let p = name.prefixed("opt.rows/") { rows.buffers[p] = t.data
            } else { throw reader.invalid(name, "a tensor named param/, best/, opt.dense/ or opt.rows/ <name>", "an unknown tensor") }
        }
        try reader.checkShapes(weights, prefix: "param/", against: current)
        if !best.isEmpty { try reader.checkShapes(best, prefix: "best/", against: current) }

        // Words: counts, then ranges (Int(exactly:) so a crafted value is an error, not a trap).
        let position = try reader.ints("run.position", count: 2)
        guard position[0] >= 1, position[1] < run.stepsPerEpoch else {
            throw reader.invalid("run.position", "epoch >= 1 and step < \(run.stepsPerEpoch) (steps per epoch)", "\(position)")
        }
        let at = StepID(epoch: position[0], step: position[1])
        let global = at.global(stepsPerEpoch: run.stepsPerEpoch), epochEnd = position[0] * run.stepsPerEpoch
        let cursors = try reader.ints("run.cursors", count: run.server.partitionCount)
        guard cursors.allSatisfy({ $0 >= global && $0 <= epochEnd }) else {
            throw reader.invalid("run.cursors", "steps in \(global)...\(epochEnd) (from run.position to the epoch's end)", "\(cursors)")
        }
        let version = try reader.ints("run.version", count: 1)[0]
        let steps = try reader.ints("run.opt_steps", count: 2)
        (dense.stepCount, rows.stepCount) = (steps[0], steps[1])
        let stop = try reader.words("run.stopping", count: 4)
        let bestEpoch = try reader.int(stop[1], "run.stopping"), sinceBest = try reader.int(stop[2], "run.stopping")
        guard bestEpoch < at.epoch, sinceBest < at.epoch, stop[3] <= 1 else {
            throw reader.invalid("run.stopping", "best epoch and evaluations since best below epoch \(at.epoch), a finished flag 0 or 1",
                                 "\(stop.dropFirst())")
        }
        let seconds = try reader.words("run.seconds")
        guard seconds.count == at.epoch - 1 else {
            throw reader.invalid("run.seconds", "\(at.epoch - 1) words (one per finished epoch)", "\(seconds.count)")
        }
        let lossSum = Double(bitPattern: try reader.words("run.loss_sum", count: 1)[0])
        // Frozen tables come from the data, so they must be the data the checkpoint saw. A
        // checkpoint written before tables had kinds lacks both entries; it can only be of a run
        // without frozen tables.
        let written = reader.state.metadata["tables"] != nil || reader.state.words["run.frozen"] != nil
        let kinds = reader.state.metadata["tables"] ?? ""
        guard kinds == run.tableKinds || (!written && run.frozenDigests.isEmpty) else {
            throw reader.invalid("tables", run.tableKinds, kinds.isEmpty ? "none" : kinds)
        }
        let frozen = written ? try reader.words("run.frozen", count: run.frozenDigests.count) : []
        guard frozen == run.frozenDigests else {
            throw reader.invalid("run.frozen", "the digests of this run's frozen tables \(run.frozenDigests) (its feature files)",
                                 "\(frozen): the features changed since the checkpoint")
        }
        let recordsJSON = reader.state.metadata["records"] ?? "[]"
        guard let records = try? JSONDecoder().decode([EpochRecord].self, from: Data(recordsJSON.utf8)) else {
            throw reader.invalid("records", "a JSON list of evaluation records in the metadata", "\(recordsJSON.prefix(60))")
        }

        // Optimizer buffers against the parameters they step; the server changes nothing if not.
        do {
            try run.server.restore(version: version, cursors: cursors, dense: dense, rows: rows, lossSum: lossSum)
        } catch ServerError.badOptimizerState(let kind, let error) {
            throw reader.invalid("opt.\(kind == "dense" ? "dense" : "rows")/\(error.buffer)", error.expected, error.found)
        } catch {
            throw reader.invalid("run.version", "a state the parameter server takes", "\(error)")
        }
        run.restoreWeights(weights)
        var stopping = EarlyStopping(metric: run.config.evaluation.validMetric, patience: run.config.evaluation.stoppingStep)
        stopping.restore(best: Double(bitPattern: stop[0]), bestEpoch: bestEpoch, sinceBest: sinceBest)
        run.restore(position: at, stopping: stopping, records: records,
                    trainingSeconds: seconds.map { Double(bitPattern: $0) },
                    bestWeights: best.isEmpty ? weights : best, finished: stop[3] != 0)
        if let id = loaded.info.extras["run.id"] { run.identity.runID = id }
        return loaded.info.path
    }
}

/// Checked reads of a checkpoint's state, with errors naming the file and the field.
private struct StateReader {
    let state: CheckpointState
    let file: String

    func invalid(_ field: String, _ expected: String, _ found: String) -> CheckpointError {
        CheckpointError(kind: .invalidState, file: file, tensor: field, expected: expected, found: found)
    }

    /// The word array `key`, of `count` words when given.
    func words(_ key: String, count: Int? = nil) throws -> [UInt64] {
        guard let w = state.words[key] else { throw invalid(key, count.map { "\($0) words" } ?? "a word array", "none") }
        if let count, w.count != count { throw invalid(key, "\(count) words", "\(w.count)") }
        return w
    }

    /// A word as an `Int`; one past `Int.max` is an error.
    func int(_ word: UInt64, _ key: String) throws -> Int {
        guard let value = Int(exactly: word) else { throw invalid(key, "a count up to \(Int.max)", "\(word)") }
        return value
    }

    func ints(_ key: String, count: Int) throws -> [Int] {
        try words(key, count: count).map { try int($0, key) }
    }

    /// `found` (names without `prefix`) holds exactly the names of `current`, each of its shape.
    func checkShapes(_ found: [String: Tensor], prefix: String, against current: [String: Tensor]) throws {
        for (name, t) in current.sorted(by: { $0.key < $1.key }) where found[name]?.shape != t.shape {
            throw invalid(prefix + name, "shape \(t.shape)", found[name].map { "\($0.shape)" } ?? "missing")
        }
        for name in found.keys.sorted() where current[name] == nil {
            throw invalid(prefix + name, "one of the run's weights \(current.keys.sorted())", "an unknown name")
        }
    }
}

private extension String {
    /// The rest of the string after `prefix`, or nil when it does not start with it.
    func prefixed(_ prefix: String) -> String? { hasPrefix(prefix) ? String(dropFirst(prefix.count)) : nil }
}
