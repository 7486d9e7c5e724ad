import TrellisCheckpoint
import TrellisTraining

/// Which run owns a checkpoint folder. Every checkpoint's manifest names its run (`run.id`)
/// and the config keys that define it (`run.settings`, hashed as `run.fingerprint`):
///
///     fresh run, empty folder          starts, with a new run id
///     fresh run, folder with ckpt-*    refused (retention keeps the highest steps, so the
///                                      other run's checkpoints would outlive this run's),
///                                      unless --overwrite-checkpoints deletes them first
///     --resume, same fingerprint       continues, keeping the checkpoint's run id
///     --resume, other fingerprint      refused, naming every differing key
extension ClusterCheckpoints {
    /// The manifest extras naming `run`.
    static func extras(of run: TrainingRun) -> [String: String] {
        ["seed": "\(run.config.seed)", "model": run.config.model.kind, "run.id": run.identity.runID,
         "run.fingerprint": run.identity.fingerprint, "run.settings": run.identity.settings.joined(separator: "\n")]
    }

    /// For a fresh run: refuses a folder that holds checkpoints, or with `overwrite` deletes
    /// them. Cheap (no data read), so callers do it before loading the data.
    public func prepareFreshRun(overwrite: Bool) throws {
        let found = store.checkpointFolderNames()
        guard !found.isEmpty else { return }
        guard overwrite else {
            let shown = found.suffix(3).joined(separator: ", ") + (found.count > 3 ? " and \(found.count - 3) more" : "")
            throw RunIdentityError("\(store.directory) already holds checkpoints (\(shown)): pass --resume to continue that run, "
                                   + "--overwrite-checkpoints to delete them, or use another --checkpoint-dir")
        }
        try store.removeAll()
    }

    /// For a resume: refuses unless every checkpoint in the folder was written by a run of
    /// `config`'s fingerprint. Reads only manifests, so callers do it before loading the data.
    public func checkResumable(_ config: TrainingConfig) throws {
        let identity = RunIdentity(config: config)
        for info in store.list() { try Self.check(info, belongsTo: identity) }
    }

    /// Throws unless `info` was written by a run with `identity`'s fingerprint; the error
    /// names each differing key.
    static func check(_ info: CheckpointInfo, belongsTo identity: RunIdentity) throws {
        let name = CheckpointStore.folderName(step: info.step)
        guard let stored = info.extras["run.fingerprint"], let settings = info.extras["run.settings"] else {
            throw RunIdentityError("checkpoint \(name) has no run fingerprint (written before checkpoints named their run), "
                                   + "so it cannot be shown to belong to this run; use another --checkpoint-dir")
        }
        guard stored != identity.fingerprint else { return }
        let stringSettings = settings.split(separator: "\n").map(String.init)
        var differences = RunIdentity.differences(stored: stringSettings, current: identity.settings)
        if differences.isEmpty { differences = ["fingerprint \(stored) vs \(identity.fingerprint)"] }
        throw RunIdentityError("checkpoint \(name) belongs to another run (\(info.extras["run.id"] ?? "no run id")): "
                               + differences.joined(separator: ", ") + "; use another --checkpoint-dir")
    }
}

/// A checkpoint folder that belongs to another run, or a fresh run pointed at a used folder.
public struct RunIdentityError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
