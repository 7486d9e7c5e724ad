import Foundation
import Logging
import TrellisCheckpoint
import TrellisTensor
import TrellisTraining

/// The whole training state as one checkpoint (`ckpt-<global step>/state.safetensors` plus
/// `manifest.json`):
///
///     param/<name>         every table and dense weight          F32
///     best/<name>          the best weights so far               F32
///     opt.dense/<buffer>   dense optimizer moments (m/…, v/…)    F32
///     opt.rows/<buffer>    table optimizer moments               F32
///     run.position         [epoch, step]                         U64
///     run.version          [updates applied]                     U64
///     run.cursors          [next step of each partition]         U64 (the data cursors)
///     run.opt_steps        [dense steps, table steps]            U64
///     run.stopping         [best score bits, best epoch, evaluations since best]
///     run.loss_sum         [bits of the epoch's loss so far]     U64
///     run.seconds          [bits of each epoch's training time]  U64
///     metadata records     the evaluation records, JSON
///
/// Batches and samples are pure functions of (seed, partition, epoch, step), so the cursors
/// are the whole RNG state: a resumed run draws exactly what the interrupted one would have.
public struct ClusterCheckpoints {
    public let store: CheckpointStore

    public init(directory: String, keep: Int) {
        store = CheckpointStore(directory: directory, keepLast: keep)
    }

    /// Writes the run's state under its global step.
    public func save(_ run: TrainingRun, logger: Logger) throws {
        var state = CheckpointState()
        for (name, t) in run.snapshot() { state.tensors["param/\(name)"] = t }
        for (name, t) in run.bestWeights { state.tensors["best/\(name)"] = t }
        let (dense, rows) = run.server.optimizerStates()
        for (k, v) in dense.buffers { state.tensors["opt.dense/\(k)"] = Tensor(shape: [v.count], data: v) }
        for (k, v) in rows.buffers { state.tensors["opt.rows/\(k)"] = Tensor(shape: [v.count], data: v) }
        state.words["run.position"] = [UInt64(run.position.epoch), UInt64(run.position.step)]
        state.words["run.version"] = [UInt64(run.server.version)]
        state.words["run.cursors"] = run.server.cursors.map { UInt64($0) }
        state.words["run.opt_steps"] = [UInt64(dense.stepCount), UInt64(rows.stepCount)]
        let s = run.stopping
        state.words["run.stopping"] = [s.best.bitPattern, UInt64(s.bestEpoch), UInt64(s.sinceBest), run.finished ? 1 : 0]
        state.words["run.loss_sum"] = [run.server.lossSum.bitPattern]
        state.words["run.seconds"] = run.trainingSeconds.map(\.bitPattern)
        let records = try JSONSerialization.data(withJSONObject: run.records.map { $0.jsonObject() }, options: [.sortedKeys])
        state.metadata["records"] = String(decoding: records, as: UTF8.self)
        let info = try store.save(step: run.globalStep, state: state, extras: ["seed": "\(run.config.seed)", "model": run.config.model.kind.rawValue])
        logger.info("checkpoint written", metadata: ["path": "\(info.path)", "epoch": "\(run.position.epoch)", "step": "\(run.position.step)"])
    }

    /// Restores the newest intact checkpoint into `run`; returns its path, or nil when there is
    /// none. Torn or corrupted ones are reported and skipped.
    public func restoreLatest(into run: TrainingRun, logger: Logger) throws -> String? {
        let recovery = store.latestIntact()
        for skipped in recovery.skipped { logger.warning("\(skipped)") }
        guard let loaded = recovery.checkpoint else { return nil }
        let state = try loaded.state()
        func words(_ key: String, _ count: Int? = nil) throws -> [UInt64] {
            guard let w = state.words[key], count == nil || w.count == count! else {
                throw CheckpointError(kind: .invalidState, file: loaded.info.path, tensor: key, expected: "\(count ?? 0) words", found: "\(state.words[key]?.count ?? 0)")
            }
            return w
        }
        var weights: [String: Tensor] = [:], best: [String: Tensor] = [:]
        var dense = OptimizerState(), rows = OptimizerState()
        for (name, t) in state.tensors {
            if name.hasPrefix("param/") { weights[String(name.dropFirst(6))] = t }
            if name.hasPrefix("best/") { best[String(name.dropFirst(5))] = t }
            if name.hasPrefix("opt.dense/") { dense.buffers[String(name.dropFirst(10))] = t.data }
            if name.hasPrefix("opt.rows/") { rows.buffers[String(name.dropFirst(9))] = t.data }
        }
        let current = run.snapshot()
        for (name, t) in current where weights[name]?.shape != t.shape {
            throw CheckpointError(kind: .invalidState, file: loaded.info.path, tensor: "param/\(name)", expected: "shape \(t.shape)",
                                  found: weights[name].map { "\($0.shape)" } ?? "missing")
        }
        let position = try words("run.position", 2), steps = try words("run.opt_steps", 2), stop = try words("run.stopping", 4)
        let cursors = try words("run.cursors", run.server.partitionCount)
        dense.stepCount = Int(steps[0]); rows.stepCount = Int(steps[1])
        run.restoreWeights(weights)
        try run.server.restore(version: Int(try words("run.version", 1)[0]), cursors: cursors.map { Int($0) }, dense: dense, rows: rows,
                           lossSum: Double(bitPattern: try words("run.loss_sum", 1)[0]))
        var stopping = EarlyStopping(metric: run.config.evaluation.validMetric, patience: run.config.evaluation.stoppingStep)
        stopping.restore(best: Double(bitPattern: stop[0]), bestEpoch: Int(stop[1]), sinceBest: Int(stop[2]))
        let recordsJSON = state.metadata["records"] ?? "[]"
        let objects = (try JSONSerialization.jsonObject(with: Data(recordsJSON.utf8))) as? [[String: Any]] ?? []
        run.restore(position: StepID(epoch: Int(position[0]), step: Int(position[1])), stopping: stopping,
                    records: objects.compactMap(EpochRecord.init(jsonObject:)),
                    trainingSeconds: try words("run.seconds").map { Double(bitPattern: $0) },
                    bestWeights: best.isEmpty ? weights : best, finished: stop[3] != 0)
        return loaded.info.path
    }
}
