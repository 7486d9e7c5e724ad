import ArgumentParser
import Foundation
import TrellisCluster
import TrellisCore
import TrellisTraining

extension Trellis {
    /// `trellis bench sasrec`: SASRec training speed and memory in the settings the peers
    /// were measured in, each in its own process so each peak RSS is its own.
    struct BenchSASRec: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "sasrec",
            abstract: "SASRec sequences/s, seconds per epoch and peak RSS against the PyTorch and RecBole peers.",
            discussion: """
            Settings: peer (configs/ml100k-sasrec.yaml: windows of 50 targets, batch 64, one whole epoch), recbole \
            (the same with every prefix predicting its next item, batch 2048, as RecBole's SASRec), paper (the SASRec \
            paper's ML-1M setting, d = 50, length 200, 1 head, BCE, batch 128, over ML-100K), seed (seed 003's \
            setting over the synthetic retail data: 316K items, d = 128, length 50, full softmax, batch 128). A \
            sequence is one training example: a window, or a prefix.
            """)

        /// Peers measured on this machine kind (issue 11; no PyTorch here): seconds per epoch
        /// (or sequences/s for the seed setting) and peak RSS in MB.
        static let peers: [String: (seconds: Double?, sequences: Double?, rss: Double, who: String)] = [
            "peer": (4.4, nil, 612, "PyTorch SASRec"),
            "recbole": (185, nil, 4600, "RecBole 1.2.1 SASRec"),
            "seed": (nil, 122, 0, "PyTorch, seed 003"),
        ]
        static let settings = ["peer", "recbole", "paper", "seed"]

        @Option(name: .long, help: "Training steps timed per setting (after two warm-up steps); the peer setting times the rest of its epoch.")
        var steps = 10
        @Option(name: .long, help: "Compute threads.")
        var threads = 2
        @Option(name: .long, help: "Synthetic retail data (trellis data synth retail) for the seed setting.")
        var retail = "data/retail"
        @Option(name: .long, help: "Run these settings only (\(settings.joined(separator: ", "))).")
        var only: [String] = []
        @Option(name: .long, help: "Write the figures as JSON to this file.")
        var output: String?
        @Flag(name: .long, help: .hidden)
        var child = false

        func validate() throws {
            guard steps >= 1, threads >= 1 else { throw ValidationError("--steps and --threads must be at least 1") }
            for s in only where !Self.settings.contains(s) { throw ValidationError("--only \(s): expected one of \(Self.settings)") }
        }

        /// The config of `setting`.
        func config(_ setting: String) throws -> TrainingConfig {
            var c = try loadConfig("configs/ml100k-sasrec.yaml")
            switch setting {
            case "recbole":
                c.task.positions = .last
                c.training.batchSize = 2048
            case "paper":
                c.task.loss = .bce
                c.model.embeddingSize = 50
                c.model.maxLength = 200
                c.model.heads = 1
                c.training.batchSize = 128
            case "seed":
                c = try loadConfig("configs/retail-sasrec.yaml")
                c.data.path = (retail as NSString).appendingPathComponent("events.inter")
                c.training.stepsPerEpoch = 0   // the whole epoch the timed steps project to
                c.cluster.partitions = 1       // one process, one batch of 128 (the config's 2 are for 2 workers)
            default: break
            }
            c.training.threads = threads
            return c
        }

        /// One setting in this process: its figures.
        func measure(_ setting: String) throws -> [String: Double] {
            let c = try config(setting)
            let start = ResourceUsage.now()
            guard FileManager.default.fileExists(atPath: c.data.path) else {
                throw RunError(message: "\(c.data.path) not found: the \(setting) setting reads it (`trellis data synth retail` writes the retail data)")
            }
            let dataset: PreparedDataset
            do { dataset = try PreparedDataset.load(c.data, seed: c.seed) } catch { throw RunError(error) }
            let load = ResourceUsage.now() - start
            let engine: EmbeddedEngine
            do { engine = try EmbeddedEngine(config: c, dataset: dataset) } catch { throw RunError(error) }
            let epoch = engine.run.stepsPerEpoch
            // The first two steps are untimed (warm-up: they create the optimiser's moments and
            // fault in the activations' memory); the peer setting times the rest of its epoch.
            let warmUp = 2
            guard epoch > warmUp else { throw RunError(message: "bench sasrec: the \(setting) setting has \(epoch) steps an epoch, fewer than \(warmUp + 1)") }
            let count = setting == "peer" ? epoch - warmUp : min(steps, epoch - warmUp)
            for _ in 0..<warmUp { try engine.trainStep() }
            var sequences = 0, times: [Double] = []
            for _ in 0..<count {
                let start = ResourceUsage.now()
                sequences += try engine.trainStep().reduce(0) { $0 + $1.triples }
                times.append(ResourceUsage.now() - start)
            }
            let total = times.reduce(0, +), median = times.sorted()[count / 2]
            let perStep = Double(sequences) / Double(count)
            return ["sequences_per_s": perStep / median, "seconds_per_step": median, "mean_seconds_per_step": total / Double(count),
                    "steps_timed": Double(count), "steps_per_epoch": Double(epoch),
                    "seconds_per_epoch": total / Double(count) * Double(epoch), "load_seconds": load,
                    "peak_rss_mb": Double(ResourceUsage.peakResidentBytes()) / 1e6]
        }

        func run() throws {
            let chosen = only.isEmpty ? Self.settings : only
            if child {
                let json = try JSONSerialization.data(withJSONObject: try measure(chosen[0]), options: [.sortedKeys])
                print(String(decoding: json, as: UTF8.self))
                return
            }
            var report: [String: Any] = ["threads": threads, "steps": steps]
            print("setting  sequences/s  s/step   s/epoch (steps)     peak MB  peer                    peer s/epoch  speed-up  peer MB  memory")
            for setting in chosen {
                let figures = try runChild(setting)
                report[setting] = figures
                let peer = Self.peers[setting]
                var line = setting.padding(toLength: 8, withPad: " ", startingAt: 0)
                    + String(format: " %11.0f %7.3f %9.1f (%6.0f) %9.0f", figures["sequences_per_s"] ?? 0, figures["seconds_per_step"] ?? 0,
                             figures["seconds_per_epoch"] ?? 0, figures["steps_per_epoch"] ?? 0, figures["peak_rss_mb"] ?? 0)
                if let peer {
                    line += "  " + peer.who.padding(toLength: 22, withPad: " ", startingAt: 0)
                    if let s = peer.seconds {
                        line += String(format: " %12.1f %8.2fx", s, s / (figures["seconds_per_epoch"] ?? .infinity))
                    } else if let q = peer.sequences {
                        line += String(format: " %9.0f seq/s %6.2fx", q, (figures["sequences_per_s"] ?? 0) / q)
                    }
                    if peer.rss > 0 { line += String(format: " %8.0f %6.2fx", peer.rss, peer.rss / (figures["peak_rss_mb"] ?? .infinity)) }
                }
                print(line)
            }
            print("s/step: the median timed step (after 2 untimed); sequences/s: a step's sequences over it; s/epoch: the mean timed step times the epoch's steps (peer: every step of the epoch but the first 2 timed); memory: peer MB / ours")
            if let output {
                let json = try JSONSerialization.data(withJSONObject: report, options: [.prettyPrinted, .sortedKeys])
                do { try json.write(to: URL(fileURLWithPath: output), options: .atomic) } catch { throw RunError(error) }
            }
        }

        /// `setting` measured by a child process of this binary (its own peak RSS).
        func runChild(_ setting: String) throws -> [String: Double] {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/proc/self/exe")
            p.arguments = ["bench", "sasrec", "--child", "--only", setting, "--steps", "\(steps)", "--threads", "\(threads)", "--retail", retail]
            let pipe = Pipe()
            p.standardOutput = pipe
            do { try p.run() } catch { throw RunError(error) }
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            guard p.terminationStatus == 0,
                  let line = String(decoding: data, as: UTF8.self).split(separator: "\n").last,
                  let figures = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Double] else {
                throw RunError(message: "bench sasrec: the \(setting) setting failed (exit \(p.terminationStatus))")
            }
            return figures
        }
    }
}
