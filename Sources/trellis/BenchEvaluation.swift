import ArgumentParser
import Foundation
import TrellisCluster
import TrellisCore
import TrellisTraining

extension Trellis {
    /// `trellis bench-eval`: what one evaluation costs the process that runs it: a full-graph
    /// forward pass, layer-wise inference here, or the coordinator of an evaluation on two
    /// workers; each measured in a process of its own (peak memory only ever grows within one).
    struct BenchEvaluation: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "bench-eval",
            abstract: "Peak memory and seconds of one evaluation pass: a full-graph forward, layer-wise inference in chunks, or on two workers (the coordinator's).")

        enum Mode: String, ExpressibleByArgument, CaseIterable { case full, layerwise, workers }

        @Option(name: .long, help: "Config of the model evaluated (its untrained weights are used).")
        var config = "configs/ml100k-sage.yaml"

        @Option(name: .long, help: "The same model on a larger graph (e.g. configs/synthetic-x10-sage.yaml): measured too, with the ratio of what evaluation adds.")
        var scaled: String?

        @Option(name: .long, help: "Measure only this mode, in this process (full, layerwise or workers); the default runs each as a child process.")
        var mode: Mode?

        func run() throws {
            guard let mode else { return try compare() }
            let cfg = try loadConfig(config)
            let dataset: PreparedDataset, plan: TrainingPlan
            do {
                dataset = try PreparedDataset.load(cfg.data, seed: cfg.seed)
                plan = try TrainingPlan(config: cfg, dataset: dataset)
            } catch { throw RunError(error) }
            let (before, after, seconds, metrics): (Int, Int, Double, [String: Double])
            if mode == .workers {
                (before, after, seconds, metrics) = try onWorkers(plan, dataset)
            } else {
                let run = try TrainingRun(plan: plan, dataset: dataset)
                let peak = ResourceUsage.peakResidentBytes(), start = ResourceUsage.now()
                metrics = mode == .full ? run.evaluate(.valid, outputs: run.fullGraphOutputs()) : run.evaluate(.valid)
                (before, after, seconds) = (peak, ResourceUsage.peakResidentBytes(), ResourceUsage.now() - start)
            }
            let metric = cfg.evaluation.validMetric
            print("result \(mode.rawValue) edges \(plan.graph.edgeCount) seconds \(seconds) peak_before \(before) "
                  + "peak_after \(after) \(metric) \(metrics[metric] ?? .nan)")
        }

        /// One evaluation of the untrained weights by two `trellis worker join` children, with
        /// this process as the coordinator: (resident at the round's start, peak during it, seconds,
        /// metrics). The test part is what an evaluate-only coordinator computes.
        private func onWorkers(_ plan: TrainingPlan, _ dataset: PreparedDataset) throws -> (Int, Int, Double, [String: Double]) {
            var settings = CoordinatorNode.Settings()
            // Below the ephemeral range, which the workers' connects draw their source ports from.
            let port = Int.random(in: 20000..<32768)
            settings.listen = "tcp://127.0.0.1:\(port)"
            settings.workers = 2
            settings.evaluateOnly = true
            let node = try CoordinatorNode(plan: plan, dataset: dataset, settings: settings)
            let workers = try (0..<2).map { k -> Process in
                let child = Process()
                child.executableURL = URL(fileURLWithPath: ProcessInfo.processInfo.arguments[0])
                child.arguments = ["worker", "join", "--coordinator", "tcp://127.0.0.1:\(port)", "--name", "bench\(k)", "--join-timeout", "60"]
                child.standardOutput = FileHandle.nullDevice
                child.standardError = FileHandle.nullDevice
                try child.run()
                return child
            }
            let start = ResourceUsage.now()
            let summary = try node.serve()
            for w in workers { w.waitUntilExit() }
            guard let memory = node.evaluationMemory else { throw RunError(message: "bench-eval: the workers did not evaluate") }
            return (memory.residentBefore, memory.peak, ResourceUsage.now() - start, summary.test)
        }

        /// Runs every mode of each config as children of this process and prints them side by side.
        private func compare() throws {
            let configs = [config] + (scaled.map { [$0] } ?? [])
            var results: [String: [Mode: [String: String]]] = [:]
            for file in configs {
                for mode in Mode.allCases { results[file, default: [:]][mode] = try measure(file, mode) }
            }
            func mb(_ r: [String: String], _ key: String) -> Double { (Double(r[key]!) ?? 0) / 1e6 }
            func extra(_ r: [String: String]) -> Double { mb(r, "peak_after") - mb(r, "peak_before") }
            for file in configs {
                let r = results[file]!
                print("one evaluation pass of \(file) (\(r[.full]!["edges"]!) edges), each mode in its own process:")
                print("  mode        seconds   peak before   peak during   added by evaluation")
                for mode in Mode.allCases {
                    print("  " + mode.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0) + String(format: " %8.2f   %8.1f MB   %8.1f MB   %8.1f MB",
                                 Double(r[mode]!["seconds"]!) ?? 0, mb(r[mode]!, "peak_before"), mb(r[mode]!, "peak_after"), extra(r[mode]!)))
                }
                let metric = r[.full]!.keys.first { !["edges", "seconds", "peak_before", "peak_after"].contains($0) } ?? "?"
                print("  \(metric): \(r[.full]![metric] ?? "?") (full), \(r[.layerwise]![metric] ?? "?") (layer-wise); "
                      + "workers: the test part's, \(r[.workers]![metric] ?? "?")")
            }
            guard let scaled else { return }
            print("\(scaled) over \(config), per mode:")
            for mode in Mode.allCases {
                let small = results[config]![mode]!, large = results[scaled]![mode]!
                print("  " + mode.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)
                      + String(format: " edges x%.1f   peak during x%.2f   added by evaluation x%.2f",
                               (Double(large["edges"]!) ?? 0) / max(1, Double(small["edges"]!) ?? 1),
                               mb(large, "peak_after") / max(mb(small, "peak_after"), 0.1), extra(large) / max(extra(small), 0.1)))
            }
        }

        /// One child `bench-eval --mode` run's result line, as key-value pairs.
        private func measure(_ file: String, _ mode: Mode) throws -> [String: String] {
            let child = Process()
            child.executableURL = URL(fileURLWithPath: ProcessInfo.processInfo.arguments[0])
            child.arguments = ["bench-eval", "--config", file, "--mode", mode.rawValue]
            let pipe = Pipe()
            child.standardOutput = pipe
            try child.run()
            let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            child.waitUntilExit()
            guard child.terminationStatus == 0, let line = text.split(separator: "\n").last(where: { $0.hasPrefix("result ") }) else {
                throw RunError(message: "bench-eval --config \(file) --mode \(mode.rawValue) failed (exit \(child.terminationStatus)):\n\(text)")
            }
            let words = line.split(separator: " ").map(String.init)
            return Dictionary(uniqueKeysWithValues: stride(from: 2, to: words.count - 1, by: 2).map { (words[$0], words[$0 + 1]) })
        }
    }
}
