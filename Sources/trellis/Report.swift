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
            try writeImages(runs, beside: path)
        }

        /// One PNG per chart beside the page (`<page>-<n>-<title>.png`), drawn from the same
        /// SVG by `rsvg-convert` (Debian's librsvg2-bin; `deploy/setup.sh` installs it).
        func writeImages(_ runs: [ReportedRun], beside page: String) throws {
            let stem = (page as NSString).deletingPathExtension
            var written: [String] = []
            for (k, (slug, chart)) in RunReport.allCharts(runs).enumerated() {
                let png = "\(stem)-\(k + 1)-\(slug).png"
                let svg = png + ".svg"
                try Data(("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + chart.render()).utf8).write(to: URL(fileURLWithPath: svg))
                defer { try? FileManager.default.removeItem(atPath: svg) }
                let convert = Process()
                convert.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                convert.arguments = ["rsvg-convert", "--background-color", "white", "--output", png, svg]
                let errors = Pipe()
                convert.standardError = errors
                do { try convert.run() } catch { throw RunError(message: "\(png): cannot run rsvg-convert (\(error)); install librsvg2-bin") }
                let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                convert.waitUntilExit()
                guard convert.terminationStatus == 0 else {
                    throw RunError(message: "\(png): rsvg-convert failed (exit \(convert.terminationStatus)): \(message.prefix(300)); "
                                   + "it comes with librsvg2-bin")
                }
                written.append((png as NSString).lastPathComponent)
            }
            print("wrote \(written.count) PNG images beside it: \(written.joined(separator: ", "))")
        }
    }
}
