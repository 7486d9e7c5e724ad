import ArgumentParser
import TrellisCluster
import TrellisTraining

/// `--checkpoint-dir`, `--resume` and `--overwrite-checkpoints`, shared by `trellis train` and
/// `trellis coordinator start`. A checkpoint folder holds one run: a fresh run refuses a
/// folder with checkpoints in it (unless told to delete them), and a resume refuses
/// checkpoints whose config fingerprint differs from this run's.
struct CheckpointOptions: ParsableArguments {
    @Option(name: .long, help: "Folder for checkpoints; it holds one run's checkpoints.")
    var checkpointDir: String?

    @Flag(name: .long, help: "Continue from the newest intact checkpoint in --checkpoint-dir (refused if its run's seed, data, model, optimizer or partitioning differ).")
    var resume = false

    @Flag(name: .long, help: "Delete the checkpoints already in --checkpoint-dir before a fresh run (without it such a folder is refused).")
    var overwriteCheckpoints = false

    func validate() throws {
        if resume && checkpointDir == nil { throw ValidationError("--resume needs --checkpoint-dir") }
        if overwriteCheckpoints && checkpointDir == nil { throw ValidationError("--overwrite-checkpoints needs --checkpoint-dir") }
        if overwriteCheckpoints && resume { throw ValidationError("--overwrite-checkpoints deletes what --resume would continue: give one of them") }
    }

    /// Checks the folder against the run before any data is loaded: a resume must find this
    /// run's checkpoints (or none), a fresh run an empty folder (or delete it with
    /// `--overwrite-checkpoints`).
    func prepare(_ config: TrainingConfig) throws {
        guard let checkpointDir else { return }
        let checkpoints = ClusterCheckpoints(directory: checkpointDir, keep: config.cluster.checkpointsKept)
        do {
            if resume { try checkpoints.checkResumable(config) } else { try checkpoints.prepareFreshRun(overwrite: overwriteCheckpoints) }
        } catch { throw RunError(error) }
    }
}
