import ArgumentParser
import Foundation
import TrellisCluster
import TrellisCore
import TrellisTraining

extension Trellis {
    /// `trellis data partition`: a config's graph partitioned once, as files a coordinator
    /// schedules from without holding the graph (`PartitionFolder`).
    struct Partition: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Build a config's graph, partition it (cluster.partitioner into cluster.partitions) and write each partition's "
                + "share as files that coordinator start --partitioned reads one at a time.")

        @Option(help: "Config whose data, task and cluster.partitions / cluster.partitioner decide the partitions.")
        var config: String
        @Option(help: ArgumentHelp("Folder to write.", valueName: "dir"))
        var out: String
        @Option(help: "Overrides the config's seed (it draws the split and the partitioning).")
        var seed: UInt64?

        func run() throws {
            var cfg = try loadConfig(config)
            if let seed { cfg.seed = seed }
            let start = ResourceUsage.now()
            let plan: TrainingPlan
            do {
                plan = try TrainingPlan(config: cfg, dataset: try PreparedDataset.load(cfg.data, seed: cfg.seed))
                try PartitionFolder.write(plan, to: out)
            } catch { throw RunError(error) }
            print(plan.report)
            print(String(format: "loaded, partitioned and written in %.1f s to %@ (peak memory %.0f MB)", ResourceUsage.now() - start, out,
                         Double(ResourceUsage.peakResidentBytes()) / 1e6))
            print("schedule from it with coordinator start --config \(config) --partitioned \(out)")
        }
    }
}
