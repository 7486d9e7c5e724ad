import ArgumentParser
import Foundation
import TrellisCluster
import TrellisCore
import TrellisGraph
import TrellisTraining
import TrellisWire

extension Trellis {
    /// `trellis bench-wire`: the codec on real gradients, and the sampler's throughput.
    struct BenchWire: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "bench-wire",
            abstract: "Measure gradient compression (ratio, MB/s) on real gradients and neighbour-sampling throughput.")

        @Option(name: .long, help: "YAML config of a sampled model (sage or bpr).")
        var config = "configs/ml100k-sage.yaml"
        @Option(name: .long, help: "Training steps whose gradients are captured.")
        var steps = 20
        @Option(name: .long, help: "Timing repeats per codec setting (median reported).")
        var repeats = 7

        func run() throws {
            let cfg: TrainingConfig
            let dataset: PreparedDataset
            let engine: EmbeddedEngine
            do {
                cfg = try loadConfig(config)
                dataset = try PreparedDataset.load(cfg.data, seed: cfg.seed)
                engine = try EmbeddedEngine(config: cfg, dataset: dataset)
            } catch { throw RunError(error) }
            print(engine.describe())
            // Real gradients: the contributions of the first `steps` global steps of epoch 1.
            var rowBlocks: [[Float]] = [], denseBlocks: [[Float]] = [], ids: [[Int32]] = []
            for _ in 0..<min(steps, engine.run.stepsPerEpoch) {
                for c in try engine.trainStep() {
                    for g in c.rows where !g.isEmpty { rowBlocks.append(g.values); ids.append(g.rowIDs) }
                    for g in c.dense { if let g { denseBlocks.append(g.data) } }
                }
            }
            let timings = engine.stepper.takeTimings()
            let sampleSeconds = timings.sampleWork  // the sampler's own time, hidden or not
            let seeds = engine.stepper.sampledSeeds, edges = engine.stepper.sampledEdges
            print(String(format: "sampler: %d seeds, %d sampled edges in %.3f s: %.0f seeds/s, %.0f edges/s (fanouts %@)",
                         seeds, edges, sampleSeconds, Double(seeds) / sampleSeconds, Double(edges) / sampleSeconds,
                         "\(engine.run.plan.fanouts)"))
            for (label, blocks) in [("embedding-row gradients", rowBlocks), ("dense gradients", denseBlocks)] where !blocks.isEmpty {
                let floats = blocks.reduce(0) { $0 + $1.count }
                print("\n\(label): \(blocks.count) blocks, \(floats) floats (\(String(format: "%.1f", Double(floats) * 4 / 1e6)) MB raw)")
                print(CodecBenchmark.table(CodecBenchmark.run(blocks: blocks, repeats: repeats)))
            }
            // Row ids: delta-coded varints (+ LZ4) vs raw Int32.
            var raw = 0, coded = 0
            for list in ids {
                raw += 4 * list.count
                coded += RowBlockCodec.encode(rowIDs: list, values: [], dimension: 0).count
            }
            print(String(format: "\nrow ids: %d bytes raw Int32, %d bytes delta-coded (%.2fx)", raw, coded, Double(raw) / Double(max(1, coded))))
        }
    }
}
