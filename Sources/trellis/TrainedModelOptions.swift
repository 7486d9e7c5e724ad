import ArgumentParser
import Logging
import TrellisCluster
import TrellisTraining

/// `--checkpoint`, `--config` and `--seed`, shared by `trellis export` and `trellis recommend`:
/// which trained run to read back. The config (with the same `--seed` the run was trained
/// with) must be the run's: its fingerprint is checked against the checkpoints' before the
/// data loads.
struct TrainedModelOptions: ParsableArguments {
    @Option(name: .long, help: "A --checkpoint-dir written by trellis train or coordinator start; its newest intact checkpoint is read.")
    var checkpoint: String

    @Option(name: .long, help: "The YAML config the run was trained with.")
    var config: String

    @Option(name: .long, help: "The --seed the run was trained with, if it overrode the config's.")
    var seed: UInt64?

    /// The config, then the model read back from the checkpoint.
    func load() throws -> TrainedModel {
        var cfg: TrainingConfig
        do { cfg = try TrainingConfig.load(path: config) } catch { throw RunError(error) }
        if let seed { cfg.seed = seed }
        do { return try TrainedModel(config: cfg, checkpointDirectory: checkpoint, logger: Logger(label: "trellis.serve")) } catch {
            throw RunError(error)
        }
    }
}
