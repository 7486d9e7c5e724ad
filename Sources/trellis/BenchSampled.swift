import ArgumentParser
import Foundation
import TrellisCluster
import TrellisCore
import TrellisTensor
import TrellisTraining

extension Trellis {
    /// `trellis bench sampled`: the neighbour sampler alone, then sampled training steps of the
    /// config's model and of GraphSAGE on the same batches, in one process.
    struct BenchSampled: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "sampled",
            abstract: "Sampler seeds/s and edges/s, and training edges/s of GATv2 and SAGE on sampled blocks, with peak RSS.",
            discussion: """
            Training edges/s counts the training examples (for the rating task, rated edges) a step trains on, per \
            second of whole steps; message edges/s counts the sampled edges those steps pass messages over. Whole steps \
            sample the next batch on a second thread while one computes when the config's cluster.prefetch is on (the \
            default, as trellis train runs).
            """)

        /// PyG 2.8 on this machine kind, 2 threads, 64-d, fanouts [10, 10], 1,024 seed users
        /// (quoted from issue 10; no PyTorch here).
        static let pyg = (gatv2: 14_100.0, sage: 47_000.0, sampler: 10_200.0)

        @Option(name: .long, help: "Config whose data, fanouts, width and batch are used.")
        var config = "configs/letterboxd-gatv2.yaml"
        @Option(name: .long, help: "Steps timed per measurement (after one warm-up step).")
        var steps = 20
        @Option(name: .long, help: "Compute threads.")
        var threads = 2
        @Option(name: .long, help: "Write the figures as JSON to this file.")
        var output: String?

        func validate() throws {
            guard steps >= 1, threads >= 1 else { throw ValidationError("--steps and --threads must be at least 1") }
        }

        func run() throws {
            var cfg = try loadConfig(config)
            cfg.training.threads = threads
            cfg.cluster.partitions = 1
            ComputeThreads.configure(cfg)   // as a training process runs: freed buffers kept, BLAS on one thread
            let start = ResourceUsage.now()
            let dataset: PreparedDataset
            do { dataset = try PreparedDataset.load(cfg.data, seed: cfg.seed) } catch { throw RunError(error) }
            print(String(format: "%@: %d users, %d items, %d training ratings; loaded in %.1f s; %d threads",
                         cfg.data.name, dataset.userCount, dataset.itemCount, dataset.split.train.count, ResourceUsage.now() - start, threads))
            var report: [String: Any] = ["config": config, "threads": threads, "steps": steps, "prefetch": cfg.cluster.prefetch,
                                         "batch_size": cfg.training.batchSize, "links_per_user": cfg.training.linksPerUser]
            var rows: [String] = []
            for kind in cfg.model.kind == "sage" ? ["sage"] : [cfg.model.kind, "sage"] {
                var c = cfg
                c.model.kind = kind
                let engine: EmbeddedEngine
                do { engine = try EmbeddedEngine(config: c, dataset: dataset) } catch { throw RunError(error) }
                let stepper = engine.stepper
                guard engine.run.stepsPerEpoch >= 3 else {
                    throw RunError(message: "\(config): \(engine.run.stepsPerEpoch) steps per epoch; the bench needs at least 3 (a smaller training.batch_size)")
                }
                let count = min(steps, engine.run.stepsPerEpoch - 2)
                // The sampler alone: batches and their neighbourhoods, no parameters; the first
                // batch (which also draws the epoch's order of the links) untimed.
                _ = try stepper.prepare(partition: 0, step: StepID(epoch: 1, step: 0))
                var seeds = 0, edges = 0
                let sampling = ResourceUsage.now()
                for k in 1...count {
                    let b = try stepper.prepare(partition: 0, step: StepID(epoch: 1, step: k))
                    seeds += b.batch.seeds.reduce(0) { $0 + $1.count }
                    edges += b.subgraph.edgeCount
                }
                let sampleSeconds = ResourceUsage.now() - sampling
                // Whole steps (sample, pull, forward, backward, apply), after a warm-up step.
                try engine.trainStep()
                _ = stepper.takeTimings()
                let before = stepper.sampledEdges, training = ResourceUsage.now()
                var examples = 0
                for _ in 0..<count { examples += try engine.trainStep().reduce(0) { $0 + $1.triples } }
                let stepSeconds = ResourceUsage.now() - training
                engine.stopPrefetching()
                let messageEdges = stepper.sampledEdges - before
                let t = stepper.takeTimings()
                let figures: [String: Any] = [
                    "sampler_seeds_per_s": Double(seeds) / sampleSeconds, "sampler_edges_per_s": Double(edges) / sampleSeconds,
                    "training_edges_per_s": Double(examples) / stepSeconds, "message_edges_per_s": Double(messageEdges) / stepSeconds,
                    "seconds_per_step": stepSeconds / Double(count), "message_edges_per_step": Double(messageEdges) / Double(count),
                    "seeds_per_step": Double(seeds) / Double(count),
                    "compute_share": t.compute / stepSeconds, "sample_share": t.sample / stepSeconds,
                    "peak_rss_mb": Double(ResourceUsage.peakResidentBytes()) / 1e6,
                ]
                report[kind] = figures
                let peer = kind == "sage" ? Self.pyg.sage : Self.pyg.gatv2
                rows.append(kind.padding(toLength: 6, withPad: " ", startingAt: 0)
                            + String(format: " %9.0f %10.0f %13.0f %9.0f %6.2fx %12.0f %7.3f %8.0f",
                                     Double(seeds) / sampleSeconds, Double(edges) / sampleSeconds, Double(examples) / stepSeconds,
                                     peer, Double(examples) / stepSeconds / peer, Double(messageEdges) / stepSeconds,
                                     stepSeconds / Double(count), Double(ResourceUsage.peakResidentBytes()) / 1e6))
            }
            let grouping = cfg.training.linksPerUser > 0 ? " in runs of \(cfg.training.linksPerUser) per user" : ""
            print("fanouts \(cfg.model.fanouts), batch \(cfg.training.batchSize)\(grouping), width \(cfg.model.embeddingSize); "
                  + "totals over \(steps) steps each")
            print("        sampler alone         whole steps (prefetch \(cfg.cluster.prefetch ? "on" : "off"))")
            print("model   seeds/s    edges/s  train edges/s  PyG e/s  ratio  msg edges/s  s/step  peak MB")
            for r in rows { print(r) }
            print(String(format: "PyG 2.8 (issue 10, this machine kind): GATv2 %.0f, SAGE %.0f training edges/s, NeighborLoader %.0f seeds/s",
                         Self.pyg.gatv2, Self.pyg.sage, Self.pyg.sampler))
            if let output {
                let json = try JSONSerialization.data(withJSONObject: report, options: [.prettyPrinted, .sortedKeys])
                do { try json.write(to: URL(fileURLWithPath: output), options: .atomic) } catch { throw RunError(error) }
            }
        }
    }
}
