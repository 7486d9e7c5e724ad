import Foundation

/// A one-line progress bar on standard error, redrawn in place on a terminal; when standard
/// error is not a terminal (CI, log files) only the finished line is printed.
public struct ProgressBar {
    private let isTerminal = isatty(STDERR_FILENO) != 0
    private let width = 30
    private var lastDraw = 0.0

    public init() {}

    /// Redraws for `done` of `total` with a trailing note; throttled to ~10 redraws a second.
    public mutating func update(label: String, done: Int, total: Int, note: String) {
        let now = Date().timeIntervalSince1970
        let finished = done >= total
        guard isTerminal || finished else { return }
        guard finished || now - lastDraw > 0.1 else { return }
        lastDraw = now
        let filled = total > 0 ? width * done / total : width
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        let text = "\(label) [\(bar)] \(done)/\(total) \(note)"
        FileHandle.standardError.write(Data(((isTerminal ? "\r\u{1B}[2K" : "") + text + (finished ? "\n" : "")).utf8))
    }
}
