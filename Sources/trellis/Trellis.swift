import ArgumentParser

/// `trellis`: train graph and sequential recommenders.
@main
struct Trellis: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trellis",
        abstract: "Train graph and sequential recommenders, in one process or across many.",
        subcommands: [Train.self, Bench.self]
    )
}
