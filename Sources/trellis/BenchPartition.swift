import ArgumentParser
import Foundation
import TrellisCluster
import TrellisCore
import TrellisGraph
import TrellisTraining

extension Trellis {
    /// `trellis bench-partition`: every partitioner on the config's graph, side by side.
    struct BenchPartition: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "bench-partition",
            abstract: "Time, edge cut, balance and halo of the hash, greedy and METIS partitioners on a config's graph.")

        @Option(name: .long, help: "Config whose data and graph are partitioned.")
        var config = "configs/ml100k-sage.yaml"

        @Option(name: .long, parsing: .upToNextOption, help: "Partition counts to try.")
        var parts: [Int] = [2, 4, 8]

        func validate() throws {
            guard !parts.isEmpty, parts.allSatisfy({ (1...Int(UInt16.max)).contains($0) }) else {
                throw ValidationError("--parts \(parts): expected counts from 1 to \(UInt16.max)")
            }
        }

        func run() throws {
            var cfg = try loadConfig(config)
            cfg.cluster.partitions = 1
            let graph: GraphTopology, start = ResourceUsage.now()
            let loaded: Double
            do {
                let dataset = try PreparedDataset.load(cfg.data, seed: cfg.seed)
                loaded = ResourceUsage.now() - start
                graph = try TrainingPlan(config: cfg, dataset: dataset).graph
            } catch { throw RunError(error) }
            print("\(cfg.data.name): \(zip(graph.nodeTypes, graph.nodeCounts).map { "\($1) \($0)" }.joined(separator: ", ")), "
                  + "\(graph.edgeCount) edges in \(graph.relations.count) relations; seed \(cfg.seed)")
            print(String(format: "data loaded and split in %.1f s, graph built in %.1f s", loaded, ResourceUsage.now() - start - loaded))
            print("method   parts  seconds  edge cut  node balance   edge balance  halo max  halo mean")
            for count in parts {
                for method in Partitioner.allCases {
                    let start = ResourceUsage.now()
                    let book = method.partition(graph, into: count, seed: cfg.seed)
                    let seconds = ResourceUsage.now() - start
                    let r = PartitionReport(method: method.rawValue, book: book, graph: graph)
                    let balance = r.nodeBalance.map { String(format: "%.3f", $0) }.joined(separator: "/")
                    let name = method.rawValue.padding(toLength: 7, withPad: " ", startingAt: 0)
                    let nodes = balance.padding(toLength: 13, withPad: " ", startingAt: 0)
                    print(name + String(format: " %6d %8.3f %8.1f%%  ", count, seconds, 100 * r.edgeCut) + nodes
                          + String(format: " %12.3f %9d %10.0f", r.edgeBalance, r.halo.max() ?? 0, Double(r.halo.reduce(0, +)) / Double(count)))
                }
            }
        }
    }
}
