import ArgumentParser
import Foundation
import TrellisCluster

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

        func validate() throws {
            if k < 1 { throw ValidationError("--k must be at least 1") }
        }

        func run() throws {
            let trained = try model.load()
            guard item.isEmpty else { return try printStandings(trained) }
            let top: [TrainedModel.Recommendation]
            do { top = try trained.recommend(user: user, k: k, exclude: exclude) } catch { throw RunError(error) }
            let label = trained.config.task.kind == .rating ? "predicted rating" : "score"
            print("user \(user): top \(top.count) of \(trained.dataset.itemCount) items (run \(trained.run.identity.runID), "
                  + "best epoch \(trained.bestEpoch), excluding \(exclude == .seen ? "training and validation" : "all") items of the user)")
            print("rank  item  \(label)")
            for (r, rec) in top.enumerated() { print(String(format: "%4d", r + 1) + "  \(rec.item)  " + String(format: "%.6f", rec.score)) }
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
