import ArgumentParser
import Foundation

/// `trellis`: train graph and sequential recommenders.
@main
struct Trellis: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trellis",
        abstract: "Train graph and sequential recommenders, in one process or across many.",
        subcommands: [Train.self, Coordinator.self, Worker.self, Server.self, Export.self, Recommend.self, Report.self, Keygen.self,
                      Bench.self, BenchWire.self, BenchEvaluation.self, BenchPartition.self, DataCommand.self]
    )

    /// Line-buffers standard output so progress (stderr) and results (stdout) interleave in
    /// order when both go to one log file.
    static func main() {
        setvbuf(stdout, nil, _IOLBF, 0)
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            exit(withError: error)
        }
    }
}
