import Foundation
import Logging
import TrellisCheckpoint
import TrellisTensor
import TrellisTraining

/// The whole training state as one checkpoint (`ckpt-<global step>/state.safetensors` plus
/// `manifest.json`):
///
///     param/<name>         every trainable table and dense weight F32
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
///     run.frozen           [digest of each frozen table]         U64 (the data's, not saved)
///     metadata records     the evaluation records, JSON
///     metadata tables      `name:kind` of every table, comma-separated
///     manifest extras      run.id, run.fingerprint, run.settings (see `RunIdentity`)
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
        state.words["run.frozen"] = run.frozenDigests
        state.metadata["tables"] = run.tableKinds
        state.metadata["records"] = "[" + run.records.map { $0.jsonLine() }.joined(separator: ", ") + "]"
        let info = try store.save(step: run.globalStep, state: state, extras: Self.extras(of: run))
        logger.info("checkpoint written", metadata: ["path": "\(info.path)", "epoch": "\(run.position.epoch)", "step": "\(run.position.step)"])
    }
}
