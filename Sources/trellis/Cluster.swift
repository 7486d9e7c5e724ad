import ArgumentParser
import Foundation
import Logging
import TrellisCluster
import TrellisCore
import TrellisTraining
import TrellisTransport

extension Trellis {
    /// `trellis coordinator start`.
    struct Coordinator: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the coordinator and parameter server of a multi-process job.",
            subcommands: [Start.self])

        struct Start: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Partition the data, host the parameter server, admit workers and drive training.")

            @Option(name: .long, help: "YAML config file (see configs/); its cluster: section sets partitions and mode.")
            var config: String
            @Option(name: .long, help: ArgumentHelp("Folder written by `trellis data partition` with this config: the partitions are read from it "
                                                    + "one at a time as workers are assigned, and the graph is never loaded here.", valueName: "dir"))
            var partitioned: String?
            @Option(name: .long, help: "ZeroMQ endpoint to bind.")
            var listen = "tcp://*:5555"
            @Option(name: .long, help: "Workers to wait for before the first step.")
            var workers = 1
            @Option(name: .long, help: "Parameter-server processes (`trellis server start`) to wait for; 0 hosts the parameter server here.")
            var servers = 0
            @Option(name: .long, help: "HOST:PORT to serve the run's metrics on, in Prometheus' text format (GET /metrics), e.g. 127.0.0.1:9464.")
            var metricsListen: String?
            @OptionGroup var token: TokenOption
            @OptionGroup var checkpoints: CheckpointOptions
            @Option(name: .long, help: "Folder for metrics.jsonl and results.json.")
            var output: String?
            @Option(name: .long, help: "Override training.epochs.")
            var epochs: Int?
            @Option(name: .long, help: "Override seed.")
            var seed: UInt64?
            @OptionGroup var curve: CurveServerOptions

            func validate() throws {
                if workers < 1 { throw ValidationError("--workers must be at least 1") }
                if servers < 0 || servers > 256 { throw ValidationError("--servers must be in 0...256") }
                if let metricsListen {
                    do { try TextEndpoint.parse(metricsListen) } catch { throw ValidationError("--metrics-listen \(error)") }
                }
            }

            func run() throws {
                // Before the data loads: a bad key file should not cost a minute of loading first.
                let security = try curve.security(logger: Logger(label: "trellis.coordinator"))
                var cfg: TrainingConfig
                cfg = try loadConfig(config)
                if let epochs { cfg.training.epochs = epochs }
                if let seed { cfg.seed = seed }
                // Before the data loads: a bad --output or checkpoint folder should not cost the loading first.
                try checkpoints.prepare(cfg)
                let out = try RunOutput.open(output)
                do { try coordinate(cfg, security: security, out: out) } catch {
                    out?.discard()  // a failed run leaves no metrics behind
                    throw error
                }
            }

            private func coordinate(_ cfg: TrainingConfig, security: SocketSecurity, out: RunOutput?) throws {
                MemoryTuning.keepFreedBuffersInOneArena()
                var dataset: PreparedDataset?
                let plan: TrainingPlan
                do {
                    if let partitioned {
                        plan = try TrainingPlan(config: cfg, partitioned: partitioned)
                    } else {
                        dataset = try PreparedDataset.load(cfg.data, seed: cfg.seed)
                        plan = try TrainingPlan(config: cfg, dataset: dataset!)
                    }
                } catch { throw RunError(error) }
                let counts = plan.schema.nodeCounts
                print("dataset \(plan.datasetName): \(counts[0]) users, \(counts[1]) items; train \(plan.trainCount); "
                      + "\(plan.stepsPerEpoch) steps per epoch" + (partitioned.map { "; partitions read from \($0)" } ?? ""))
                print(plan.report)
                var settings = CoordinatorNode.Settings()
                settings.listen = listen
                settings.workers = workers
                settings.servers = servers
                settings.metricsListen = metricsListen
                settings.token = token.resolved
                settings.checkpointDirectory = checkpoints.checkpointDir
                settings.resume = checkpoints.resume
                settings.security = security
                let node: CoordinatorNode
                do { node = try CoordinatorNode(plan: plan, dataset: dataset, settings: settings) } catch { throw RunError(error) }
                for record in node.run.records { try out?.append(record) }  // a resumed run keeps its history
                print("run \(node.run.identity.runID) (config fingerprint \(node.run.identity.fingerprint))")
                node.onProgress = { print($0) }
                node.onCluster = { try? out?.append($0) }
                node.run.onEvaluation = { try? out?.append($0) }
                let summary: RunSummary
                do { summary = try node.serve() } catch { throw RunError(error) }
                let test = summary.test
                // Whatever the task measured (rmse and mae for ratings, ndcg@K and the rest for
                // rankings); the counts ("users", "pairs") are not metrics.
                let metrics = test.keys.filter { $0 != "users" && $0 != "pairs" }.sorted()
                print("test (best epoch \(summary.bestEpoch) of \(summary.epochs)): "
                      + metrics.map { "\($0) " + String(format: "%.4f", test[$0]!) }.joined(separator: "  "))
                if let out {
                    try out.append(EpochRecord(epoch: summary.bestEpoch, split: "test", loss: 0, trainSeconds: 0, evalSeconds: 0, metrics: test))
                    try out.finish(results: summary.jsonObject(extra: [
                        "seed": NSNumber(value: cfg.seed), "peak_memory_bytes": ResourceUsage.peakResidentBytes(), "config": config,
                        "run_id": node.run.identity.runID, "fingerprint": node.run.identity.fingerprint, "workers": workers, "servers": servers, "partitions": cfg.cluster.partitions, "mode": cfg.cluster.mode.rawValue,
                    ]))
                    print("wrote \(out.directory.path)/metrics.jsonl and results.json")
                }
            }
        }
    }

    /// `trellis worker join`.
    struct Worker: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a worker of a multi-process job.", subcommands: [Join.self])

        struct Join: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Join a coordinator, train the partitions it assigns, and exit when the run ends.")

            @Option(name: .long, help: "Coordinator endpoint, e.g. tcp://10.0.0.5:5555.")
            var coordinator: String
            @OptionGroup var token: TokenOption
            @Option(name: .long, help: "Name shown in the coordinator's log (default: host:pid).")
            var name: String?
            @Option(name: .long, help: "Seconds to keep trying to reach the coordinator.")
            var joinTimeout: Double = 60
            @OptionGroup var curve: CurveClientOptions
            /// Fault injection for the hung-worker test.
            @Option(name: .long, help: .hidden)
            var testHangAfterTasks: Int?

            func run() throws {
                var settings = WorkerNode.Settings(
                    coordinator: coordinator, token: token.resolved,
                    name: name ?? "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier)")
                settings.joinTimeoutSeconds = joinTimeout
                settings.hangAfterTasks = testHangAfterTasks
                settings.security = try curve.security()
                do { try WorkerNode(settings: settings).run() } catch WorkerError.coordinatorLost(let why) where curve.curveServerKey != nil {
                    // A CURVE handshake with the wrong server key fails without a word on the worker's side.
                    throw RunError(message: "\(WorkerError.coordinatorLost(why)); with CURVE, a wrong --curve-server-key looks just like this: "
                                   + "check it is the public key the coordinator logged")
                } catch { throw RunError(error) }
                print("worker \(settings.name): run finished; peak memory \(String(format: "%.1f MB", Double(ResourceUsage.peakResidentBytes()) / 1e6))")
            }
        }
    }
}
