import ArgumentParser
import Foundation

/// `--token`, shared by every cluster role: the coordinator admits only workers and servers
/// presenting its token.
struct TokenOption: ParsableArguments {
    @Option(name: .long, help: "Cluster token; every role of a job must give the same one (default: $TRELLIS_TOKEN, else empty).")
    var token: String?

    /// The flag, else $TRELLIS_TOKEN, else empty.
    var resolved: String { token ?? ProcessInfo.processInfo.environment["TRELLIS_TOKEN"] ?? "" }
}
