/// A failure while running a command (bad config, bad data): printed as `Error: …` with exit
/// status 1, without the usage text that argument errors get.
struct RunError: Error, CustomStringConvertible {
    let description: String
    init(_ error: Error) { description = "\(error)" }
    init(message: String) { description = message }
}
