import ArgumentParser
import Foundation
import TrellisCluster
import TrellisCore
import TrellisTraining

extension Trellis {
    /// `trellis bench-eval`: what one evaluation costs the process that runs it, layer-wise
    /// against a full-graph forward pass, each measured in a process of its own (peak memory
    /// only ever grows within one).
    struct BenchEvaluation: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "bench-eval",
            abstract: "Peak memory and seconds of one validation pass: layer-wise inference in chunks vs one full-graph forward pass.")

        enum Mode: String, ExpressibleByArgument, CaseIterable { case full, layerwise }

        @Option(name: .long, help: "Config of the model evaluated (its untrained weights are used).")
        var config = "configs/ml100k-sage.yaml"

        @Option(name: .long, help: "Measure only this mode, in this process (full or layerwise); the default runs both as child processes.")
        var mode: Mode?

        func run() throws {
            guard let mode else { return try compare() }
            let cfg = try loadConfig(config)
            let run: TrainingRun
            do {
                let dataset = try PreparedDataset.load(cfg.data, seed: cfg.seed)
                run = try TrainingRun(plan: TrainingPlan(config: cfg, dataset: dataset), dataset: dataset)
            } catch { throw RunError(error) }
            let before = ResourceUsage.peakResidentBytes(), start = ResourceUsage.now()
            let outputs = mode == .full ? run.fullGraphOutputs() : run.outputs()
            let metrics = run.evaluate(.valid, outputs: outputs)
            let seconds = ResourceUsage.now() - start, after = ResourceUsage.peakResidentBytes()
            let metric = cfg.evaluation.validMetric
            print("result \(mode.rawValue) edges \(run.plan.graph.edgeCount) seconds \(seconds) peak_before \(before) "
                  + "peak_after \(after) \(metric) \(metrics[metric] ?? .nan)")
        }

        /// Runs both modes as children of this process and prints them side by side.
        private func compare() throws {
            var results: [Mode: [String: String]] = [:]
            for mode in Mode.allCases {
                let child = Process()
                child.executableURL = URL(fileURLWithPath: ProcessInfo.processInfo.arguments[0])
                child.arguments = ["bench-eval", "--config", config, "--mode", mode.rawValue]
                let pipe = Pipe()
                child.standardOutput = pipe
                try child.run()
                let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                child.waitUntilExit()
                guard child.terminationStatus == 0, let line = text.split(separator: "\n").last(where: { $0.hasPrefix("result ") }) else {
                    throw RunError(message: "bench-eval --mode \(mode.rawValue) failed (exit \(child.terminationStatus)):\n\(text)")
                }
                let words = line.split(separator: " ").map(String.init)
                results[mode] = Dictionary(uniqueKeysWithValues: stride(from: 2, to: words.count - 1, by: 2).map { (words[$0], words[$0 + 1]) })
            }
            func mb(_ mode: Mode, _ key: String) -> Double { (Double(results[mode]![key]!) ?? 0) / 1e6 }
            func extra(_ mode: Mode) -> Double { mb(mode, "peak_after") - mb(mode, "peak_before") }
            print("one validation pass of \(config) (\(results[.full]!["edges"]!) edges), each mode in its own process:")
            print("  mode        seconds   peak before   peak during   added by evaluation")
            for mode in Mode.allCases {
                print("  " + mode.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0) + String(format: " %8.2f   %8.1f MB   %8.1f MB   %8.1f MB",
                             Double(results[mode]!["seconds"]!) ?? 0, mb(mode, "peak_before"), mb(mode, "peak_after"), extra(mode)))
            }
            let metric = results[.full]!.keys.first { !["edges", "seconds", "peak_before", "peak_after"].contains($0) } ?? "?"
            print(String(format: "layer-wise adds %.1fx less memory than the full-graph pass; %@ %@ (full) vs %@ (layer-wise)",
                         extra(.full) / max(extra(.layerwise), 0.1), metric as NSString,
                         results[.full]![metric] ?? "?" as NSString, results[.layerwise]![metric] ?? "?" as NSString))
        }
    }
}
