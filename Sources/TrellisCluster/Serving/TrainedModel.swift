import Foundation
import Logging
import TrellisData
import TrellisModels
import TrellisTensor
import TrellisTraining

/// A trained model read back from a checkpoint folder, for `trellis export` and `trellis
/// recommend`. It is the engine's own run, restored: the config plans the run (data, split,
/// graph, tables, model) exactly as training did, the newest intact checkpoint is restored
/// into it with all of the resume path's checks, and the best weights (the ones the run's
/// test evaluated) are put in place. Nothing here depends on the model kind.
///
///     config ──► PreparedDataset ──► TrainingPlan ──► TrainingRun ◄── restoreLatest(checkpoint)
///                                                          │  best weights
///                                                          ▼
///               tables (count_t, d) per node type, outputs() (count_t, d): the evaluation's
///
/// Order of checks: the folder exists and holds checkpoints of this config's fingerprint
/// (manifests only), then the data loads, then the state is restored (shapes, ranges).
public final class TrainedModel {
    public let run: TrainingRun
    /// The checkpoint restored (its folder).
    public let checkpointPath: String
    /// Layer-0 rows per node type ((count_t, d)), as trained: embeddings, plus projected
    /// features where the run has feature tables.
    public let tables: [Tensor]
    /// What evaluation scores from, per node type ((count_t, d)): the tables for a model
    /// without message passing, the full-neighbourhood forward pass otherwise.
    public let outputs: [Tensor]
    /// A model instance holding the best dense weights (pair scoring for the rating task).
    let scorer: SampledRecommender

    /// Reads `config`'s run from the newest intact checkpoint in `directory`.
    public init(config: TrainingConfig, checkpointDirectory directory: String, logger: Logger) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ServingError("--checkpoint \(directory): no such folder (expected a --checkpoint-dir written by trellis train or coordinator start)")
        }
        let checkpoints = ClusterCheckpoints(directory: directory, keep: config.cluster.checkpointsKept)
        guard !checkpoints.store.checkpointFolderNames().isEmpty else {
            throw ServingError("--checkpoint \(directory): holds no checkpoint (expected ckpt-<step> folders written with --checkpoint-dir)")
        }
        do { try checkpoints.checkResumable(config) } catch let error as RunIdentityError {
            // Another config's checkpoints: refused before the data loads.
            let reason = error.description.replacingOccurrences(of: "; use another --checkpoint-dir", with: "")
            throw ServingError("--checkpoint \(directory): \(reason); give the --config (and --seed) the run was trained with")
        }

        let dataset = try PreparedDataset.load(config.data, seed: config.seed)
        let plan = try TrainingPlan(config: config, dataset: dataset)
        let run = try TrainingRun(plan: plan, dataset: dataset)
        self.dataset = dataset
        guard let path = try checkpoints.restoreLatest(into: run, logger: logger) else {
            throw ServingError("--checkpoint \(directory): no intact checkpoint (every one failed its checks; see the warnings above)")
        }
        run.server.store.restore(run.bestWeights)
        self.run = run
        checkpointPath = path
        tables = run.inputs()
        outputs = run.outputs()
        scorer = plan.makeModel()
        for (p, w) in zip(scorer.parameters.dense, run.server.store.dense) { p.value = w.value }
    }

    public var config: TrainingConfig { run.config }
    public let dataset: PreparedDataset
    /// Node type names in table order (`user`, `item`).
    public var nodeTypes: [String] { run.plan.schema.nodeTypes.map(\.name) }
    /// The epoch whose weights these are (0 when no evaluation chose one).
    public var bestEpoch: Int { run.stopping.bestEpoch }
    /// Whether `outputs` come from message-passing layers (and so differ from `tables`).
    public var hasMessagePassing: Bool { scorer.layerCount > 0 }

    /// Raw ids of node type `t` in row order, where the data names them (users and items).
    public func rawIDs(nodeType t: Int) -> [String]? {
        switch nodeTypes[t] {
        case "user": return dataset.split.train.userIDs.raws
        case "item": return dataset.split.train.itemIDs.raws
        default: return nil
        }
    }
}

/// A request `export` or `recommend` cannot serve: a missing folder, an unknown id.
public struct ServingError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
