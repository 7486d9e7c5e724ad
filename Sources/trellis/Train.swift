import ArgumentParser
import Foundation
import Logging
import TrellisCluster
import TrellisCore
import TrellisTraining

extension Trellis {
    /// `trellis train`: the one-process embedded default.
    struct Train: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Train a model in this process, evaluate it, and write metrics and results.")

        @Option(name: .long, help: "YAML config file (see configs/).")
        var config: String

        @Option(name: .long, help: "Folder for metrics.jsonl and results.json.")
        var output: String?

        @Option(name: .long, help: "Override training.epochs.")
        var epochs: Int?

        @Option(name: .long, help: "Override seed.")
        var seed: UInt64?

        /// Checkpoints (every model).
        @OptionGroup var checkpointOptions: CheckpointOptions
        var checkpointDir: String? { checkpointOptions.checkpointDir }
        var resume: Bool { checkpointOptions.resume }

        func validate() throws {
            if let epochs, epochs < 1 { throw ValidationError("--epochs must be at least 1") }
        }

        func run() throws {
            var cfg: TrainingConfig
            cfg = try loadConfig(config)
            if let epochs { cfg.training.epochs = epochs }
            if let seed { cfg.seed = seed }
            let logger = Logger(label: "trellis.train")
            // Before the data loads: a bad --output or checkpoint folder should not cost the loading first.
            try checkpointOptions.prepare(cfg)
            let out = try RunOutput.open(output)
            do { try train(cfg, out: out, logger: logger) } catch {
                out?.discard()  // a failed run leaves no metrics behind
                throw error
            }
        }

        private func train(_ cfg: TrainingConfig, out: RunOutput?, logger: Logger) throws {

            let loadStart = ResourceUsage.now()
            let dataset: PreparedDataset
            do { dataset = try PreparedDataset.load(cfg.data, seed: cfg.seed) } catch { throw RunError(error) }
            print("dataset \(dataset.name): \(dataset.userCount) users, \(dataset.itemCount) items; "
                  + "train \(dataset.split.train.count), valid \(dataset.split.valid.count), test \(dataset.split.test.count) "
                  + String(format: "(%.2f s)", ResourceUsage.now() - loadStart))

            let metric = cfg.evaluation.validMetric
            let onEvaluation: (EpochRecord) -> Void = { record in
                guard record.split == "valid" else { try? out?.append(record); return }
                // A rating run reports its other error metric where a ranking run reports recall@10.
                let second = record.metrics["rmse"] != nil ? (metric == "mae" ? "rmse" : "mae") : "recall@10"
                // A moving rate is shown (a plateau's cut is visible in the next epoch's line).
                let rate = cfg.training.schedule == .constant ? "" : String(format: "  lr %.3g", record.learningRate ?? 0)
                print(String(format: "  valid  %@ %.4f  %@ %.4f  loss %.4f  train %.2fs  eval %.2fs",
                             metric, record.metrics[metric] ?? 0, second, record.metrics[second] ?? 0,
                             record.loss, record.trainSeconds, record.evalSeconds) + rate)
                try? out?.append(record)
            }
            var bar = ProgressBar()
            let epochsTotal = cfg.training.epochs
            var lossSum = 0.0
            let onStep: (Int, Int, Int, Float) -> Void = { epoch, step, steps, loss in
                if step == 1 { lossSum = 0 }
                lossSum += Double(loss)
                bar.update(label: "epoch \(epoch)/\(epochsTotal)", done: step, total: steps,
                           note: String(format: "loss %.4f", lossSum / Double(step)))
            }
            // Every model runs the cluster's code paths with every partition in this process.
            let engine: EmbeddedEngine
            do { engine = try EmbeddedEngine(config: cfg, dataset: dataset) } catch { throw RunError(error) }
            print(engine.describe())
            if let checkpointDir {
                let checkpoints = ClusterCheckpoints(directory: checkpointDir, keep: cfg.cluster.checkpointsKept)
                engine.checkpoints = checkpoints
                if resume {
                    do {
                        if let resumed = try checkpoints.restoreLatest(into: engine.run, logger: logger) {
                            print("resumed from \(resumed) at epoch \(engine.run.position.epoch), step \(engine.run.position.step)")
                        } else {
                            print("no intact checkpoint in \(checkpointDir); starting fresh")
                        }
                    } catch { throw RunError(error) }
                }
                for record in engine.run.records { try out?.append(record) }  // a resumed run keeps its history
            }
            let identity = engine.run.identity
            print("run \(identity.runID) (config fingerprint \(identity.fingerprint))")
            engine.onStep = onStep
            engine.run.onEvaluation = onEvaluation
            let summary: RunSummary
            do { summary = try engine.fit() } catch { throw RunError(error) }
            let baseline: [String: Double]
            if summary.test["rmse"] != nil {
                // A rating run: its yardsticks are the rating baselines, not popularity.
                let report = dataset.ratingBaselines(on: .test, clip: engine.run.plan.ratingScale)
                baseline = ["global_mean_rmse": report.globalMean.rmse, "global_mean_mae": report.globalMean.mae,
                            "bias_rmse": report.bias.rmse, "bias_mae": report.bias.mae]
            } else {
                // A next-item run ranks its examples by its own protocol, popularity too.
                baseline = engine.run.popularity(.test) ?? dataset.popularityBaseline(ks: cfg.evaluation.topk)
            }
            if summary.test["rmse"] != nil { printRatings(summary, baseline: baseline) } else {
                printTable(summary, baseline: baseline, ks: cfg.evaluation.topk, sequence: cfg.task.kind == .nextItem)
            }
            let peak = ResourceUsage.peakResidentBytes()
            print(String(format: "%.3f s per training epoch (mean), %.3f median; peak memory %.1f MB",
                         summary.secondsPerEpoch, summary.medianSecondsPerEpoch, Double(peak) / 1e6))
            if let out {
                let test = EpochRecord(epoch: summary.bestEpoch, split: "test", loss: 0, trainSeconds: 0,
                                       evalSeconds: 0, metrics: summary.test)
                try out.append(test)
                try out.finish(results: summary.jsonObject(extra: [
                    "seed": NSNumber(value: cfg.seed), "peak_memory_bytes": peak,
                    summary.test["rmse"] != nil ? "baseline_ratings_test" : "baseline_popularity_test": baseline,
                    "config": config, "run_id": identity.runID, "fingerprint": identity.fingerprint,
                ]))
                print("wrote \(out.directory.path)/metrics.jsonl and results.json")
            }
        }

        private func printRatings(_ s: RunSummary, baseline: [String: Double]) {
            print("\ntest (best epoch \(s.bestEpoch) of \(s.epochs); \(Int(s.test["pairs"] ?? 0)) ratings, predictions clipped to the scale)")
            print("  model        rmse    mae")
            for (name, rmse, mae) in [(s.model, s.test["rmse"], s.test["mae"]),
                                      ("bias", baseline["bias_rmse"], baseline["bias_mae"]),
                                      ("global mean", baseline["global_mean_rmse"], baseline["global_mean_mae"])] {
                print("  " + name.padding(toLength: 11, withPad: " ", startingAt: 0) + String(format: "  %.4f  %.4f", rmse ?? 0, mae ?? 0))
            }
        }

        private func printTable(_ s: RunSummary, baseline: [String: Double], ks: [Int], sequence: Bool) {
            // `users` counts ranked lists: a next-item run ranks one per held-out example.
            let lists = sequence ? "examples" : "users"
            print("\ntest (best epoch \(s.bestEpoch) of \(s.epochs); \(Int(s.test["users"] ?? 0)) \(lists))")
            print("  model       K    ndcg    recall  hit     precision  mrr     coverage")
            for (name, m) in [(s.model, s.test), ("popularity", baseline)] {
                for k in ks {
                    print(String(format: "  %-10@ %3d  %.4f  %.4f  %.4f  %.4f     %.4f  %.4f", name as NSString, k,
                                 m["ndcg@\(k)"] ?? 0, m["recall@\(k)"] ?? 0, m["hit@\(k)"] ?? 0,
                                 m["precision@\(k)"] ?? 0, m["mrr@\(k)"] ?? 0, m["coverage@\(k)"] ?? 0))
                }
            }
        }
    }
}
