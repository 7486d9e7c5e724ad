import ArgumentParser
import Foundation
import TrellisTraining

extension Trellis {
    /// `trellis report`: an HTML page of one run's metrics, or several runs compared.
    struct Report: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a self-contained HTML report (inline SVG charts) of a run's --output folder, optionally compared with others.")

        @Argument(help: "A run's --output folder (metrics.jsonl and results.json).")
        var runDirectory: String

        @Option(name: .long, parsing: .upToNextOption, help: "Further run folders to draw on the same charts.")
        var compare: [String] = []

        @Option(name: .long, help: "The HTML file to write (default: RUN_DIR/report.html).")
        var output: String?

        func run() throws {
            // Every folder is read and checked before anything is written.
            let runs: [ReportedRun]
            do { runs = try ([runDirectory] + compare).map { try ReportedRun(directory: $0) } } catch { throw RunError(error) }
            let path = output ?? (runDirectory as NSString).appendingPathComponent("report.html")
            do { try Data(RunReport.html(runs).utf8).write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
                throw RunError(message: "\(path): cannot write the report (\(error.localizedDescription))")
            }
            print("wrote \(path) (\(runs.count) run\(runs.count == 1 ? "" : "s"): \(runs.map(\.name).joined(separator: ", ")))")
        }
    }
}
