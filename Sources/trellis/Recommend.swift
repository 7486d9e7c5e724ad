import ArgumentParser
import Foundation
import TrellisCheckpoint
import TrellisCluster
import TrellisTraining

extension TrainedModel.Exclusion: ExpressibleByArgument {}

extension Trellis {
    /// `trellis recommend`: a trained run's top-K items for one user, by raw ids.
    struct Recommend: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a user's top-K items with scores from a trained run, skipping the items the user has seen.")

        @OptionGroup var model: TrainedModelOptions

        @Option(name: .long, help: "The user's raw id, as in the data file.")
        var user: String

        @Option(name: .long, help: "How many items.")
        var k = 10

        @Option(name: .long, help: "Instead of the top K, print the score and rank of this raw item id for the user (repeatable).")
        var item: [String] = []

        @Option(name: .long, help: "seen: skip the user's training and validation items (the test evaluation's mask); all: also the test items.")
        var exclude: TrainedModel.Exclusion = .seen

        @Option(name: .long, help: "Sequence models: also write the attention over the user's last items as an SVG heat-map to this file.")
        var attention: String?

        @Option(name: .long, help: "With --attention: the Transformer block drawn (default: the last).")
        var block: Int?

        func validate() throws {
            if k < 1 { throw ValidationError("--k must be at least 1") }
            if block != nil && attention == nil { throw ValidationError("--block needs --attention") }
        }

        func run() throws {
            let trained = try model.load()
            if let attention { try writeHeatMap(trained, to: attention) }
            guard item.isEmpty else { return try printStandings(trained) }
            let top: [TrainedModel.Recommendation]
            do { top = try trained.recommend(user: user, k: k, exclude: exclude) } catch { throw RunError(error) }
            let label = trained.config.task.kind == .rating ? "predicted rating" : "score"
            print("user \(user): top \(top.count) of \(trained.dataset.itemCount) items (run \(trained.run.identity.runID), "
                  + "best epoch \(trained.bestEpoch), excluding \(exclude == .seen ? "training and validation" : "all") items of the user)")
            print("rank  item  \(label)")
            for (r, rec) in top.enumerated() { print(String(format: "%4d", r + 1) + "  \(rec.item)  " + String(format: "%.6f", rec.score)) }
        }

        /// `--attention`: the chosen block's attention over the user's last items, per head.
        private func writeHeatMap(_ trained: TrainedModel, to path: String) throws {
            do {
                let map = try trained.attention(user: user, block: block)
                let svg = SVGHeatMap(title: "user \(user): attention of block \(map.block) over the last \(map.items.count) items (run \(trained.run.identity.runID))",
                                     labels: map.items, maps: map.weights).svg
                try AtomicFile.write(Array(svg.utf8), to: path)
                print("wrote \(path): block \(map.block), \(map.weights.count) heads over \(map.items.count) items")
            } catch { throw RunError(error) }
        }

        /// `--item`: each item's score and rank for the user (every id checked before printing).
        private func printStandings(_ trained: TrainedModel) throws {
            let standings: [(score: Float, rank: Int?, candidates: Int)]
            do { standings = try item.map { try trained.standing(user: user, item: $0, exclude: exclude) } } catch { throw RunError(error) }
            for (raw, s) in zip(item, standings) {
                let place = s.rank.map { "rank \($0) of \(s.candidates)" } ?? "excluded (\(exclude == .seen ? "seen in training or validation" : "the user has it"))"
                print("user \(user) item \(raw): score " + String(format: "%.6f", s.score) + ", " + place)
            }
        }
    }
}
