import Foundation

/// `trellis report`: one self-contained HTML page (inline CSS and SVG, no scripts, nothing
/// fetched) for one run or several compared:
///
///     summary     per run: model, dataset, epochs, best epoch, seconds per epoch, peak memory
///     test        every test metric, a column per run
///     charts      training loss, the validation metrics (ndcg/recall/hit/mrr at the smallest
///                 K, or rmse/mae), seconds per training epoch: a line per run, by epoch
///
/// The page is well-formed XML (XHTML syntax), so any XML parser can check it.
public enum RunReport {
    /// Validation metrics charted, at the smallest K the runs report.
    static let rankingMetrics = ["ndcg", "recall", "hit", "mrr"]
    static let ratingMetrics = ["rmse", "mae"]

    /// Every chart of the page, in page order, with a file-name slug of its title.
    public static func allCharts(_ runs: [ReportedRun]) -> [(slug: String, chart: SVGLineChart)] {
        let charts = charts(runs) + (runs.contains { !$0.cluster.isEmpty } ? clusterCharts(runs) : [])
        return charts.map { chart in
            let slug = chart.title.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" }
            return (String(slug).split(separator: "-").joined(separator: "-"), chart)
        }
    }

    /// The page for `runs` (the first is the subject, the rest compared with it).
    public static func html(_ runs: [ReportedRun]) -> String {
        precondition(!runs.isEmpty, "a report needs a run")
        let title = runs.count == 1 ? "Trellis run \(runs[0].name)" : "Trellis runs " + runs.map(\.name).joined(separator: ", ")
        var body = "<h1>\(HTML.escape(title))</h1>"
        body += "<p>" + runs.map { "<code>\(HTML.escape($0.directory))</code>" }.joined(separator: ", ") + "</p>"
        body += summaryTable(runs) + testTable(runs)
        body += "<h2>By epoch</h2><div class=\"charts\">"
        body += charts(runs).map { $0.render() }.joined()
        body += "</div>"
        if runs.contains(where: { !$0.cluster.isEmpty }) {
            body += "<h2>Cluster</h2><div class=\"charts\">" + clusterCharts(runs).map { $0.render() }.joined() + "</div>"
            body += timeline(runs)
        }
        return """
        <!DOCTYPE html>
        <html xmlns="http://www.w3.org/1999/xhtml" lang="en"><head><meta charset="utf-8"/>
        <title>\(HTML.escape(title))</title>
        <style>
        body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; }
        table { border-collapse: collapse; margin: 8px 0 20px; }
        th, td { border-bottom: 1px solid #ddd; padding: 4px 10px; text-align: right; }
        th:first-child, td:first-child { text-align: left; }
        .charts { display: flex; flex-wrap: wrap; gap: 16px; }
        svg.chart { background: #fff; border: 1px solid #e4e4e4; font-size: 11px; }
        svg .title { font-size: 13px; font-weight: 600; }
        svg .grid { stroke: #eee; } svg .axis { stroke: #888; }
        </style></head><body>\(body)</body></html>

        """
    }

    static func summaryTable(_ runs: [ReportedRun]) -> String {
        var rows = "<h2>Summary</h2><table><tr><th>run</th><th>model</th><th>dataset</th><th>epochs</th><th>best epoch</th>"
            + "<th>s/epoch mean</th><th>s/epoch median</th><th>peak memory</th><th>run id</th></tr>"
        for r in runs {
            let memory = r.peakMemoryBytes.map { String(format: "%.1f MB", $0 / 1e6) } ?? "—"
            let s = r.summary
            rows += "<tr><td>\(HTML.escape(r.name))</td><td>\(HTML.escape(s.model))</td><td>\(HTML.escape(s.dataset))</td>"
                + "<td>\(s.epochs)</td><td>\(s.bestEpoch)</td><td>\(String(format: "%.3f", s.secondsPerEpoch))</td>"
                + "<td>\(String(format: "%.3f", s.medianSecondsPerEpoch))</td><td>\(memory)</td>"
                + "<td>\(HTML.escape(r.runID ?? "—"))</td></tr>"
        }
        return rows + "</table>"
    }

    static func testTable(_ runs: [ReportedRun]) -> String {
        let keys = Set(runs.flatMap { $0.summary.test.keys }).sorted()
        var rows = "<h2>Test (best epoch's weights)</h2><table><tr><th>metric</th>"
            + runs.map { "<th>\(HTML.escape($0.name))</th>" }.joined() + "</tr>"
        for key in keys {
            rows += "<tr><td>\(HTML.escape(key))</td>"
                + runs.map { r in "<td>\(r.summary.test[key].map { String(format: "%.4f", $0) } ?? "—")</td>" }.joined() + "</tr>"
        }
        return rows + "</table>"
    }

    /// Loss, the charted validation metrics, seconds per epoch.
    static func charts(_ runs: [ReportedRun]) -> [SVGLineChart] {
        func series(_ pick: (EpochRecord) -> Double?, split: String? = nil) -> [SVGLineChart.Series] {
            runs.map { run in
                SVGLineChart.Series(name: run.name, points: run.epochRecords.compactMap { r in
                    guard split == nil || r.split == split, let y = pick(r) else { return nil }
                    return (Double(r.epoch), y)
                })
            }
        }
        var charts = [SVGLineChart(title: "training loss", xLabel: "epoch", series: series { $0.loss })]
        for key in validationKeys(runs) {
            charts.append(SVGLineChart(title: "valid \(key)", xLabel: "epoch", series: series({ $0.metrics[key] }, split: "valid")))
        }
        charts.append(SVGLineChart(title: "seconds per training epoch", xLabel: "epoch", series: series { $0.trainSeconds }))
        return charts
    }

    /// From `cluster.jsonl`: the workers' seconds per phase (a line per phase and run), the MB
    /// on the coordinator's socket, and the payload's compression, by epoch.
    static func clusterCharts(_ runs: [ReportedRun]) -> [SVGLineChart] {
        let clustered = runs.filter { !$0.cluster.isEmpty }
        func series(_ label: String = "", _ pick: (ClusterRecord) -> Double?) -> [SVGLineChart.Series] {
            clustered.map { run in
                SVGLineChart.Series(name: label.isEmpty ? run.name : "\(run.name) \(label)", points: run.cluster.compactMap { r in
                    guard r.kind == .epoch, let y = pick(r) else { return nil }
                    return (Double(r.epoch), y)
                })
            }
        }
        let phases: [(String, (ClusterRecord) -> Double?)] = [("sample", \.sampleSeconds), ("pull", \.pullSeconds),
                                                              ("compute", \.computeSeconds), ("push", \.pushSeconds)]
        return [
            SVGLineChart(title: "workers' seconds per phase (summed over workers)", xLabel: "epoch",
                         series: phases.flatMap { series($0.0, $0.1) }),
            SVGLineChart(title: "MB on the coordinator's socket (sent + received)", xLabel: "epoch",
                         series: series { r in r.sentBytes.flatMap { s in r.receivedBytes.map { (s + $0) / 1e6 } } }),
            SVGLineChart(title: "steps per second", xLabel: "epoch", series: series { $0.stepsPerSecond }),
            SVGLineChart(title: "payload compression (raw / encoded)", xLabel: "epoch", series: series { $0.compression }),
        ]
    }

    /// Checkpoints, resumptions, and workers joining and lost, in order, per run.
    static func timeline(_ runs: [ReportedRun]) -> String {
        var rows = "<h3>Timeline</h3><table><tr><th>run</th><th>seconds</th><th>epoch</th><th>step</th><th>event</th><th>detail</th></tr>"
        for run in runs {
            for r in run.cluster where r.kind != .epoch {
                rows += "<tr><td>\(HTML.escape(run.name))</td><td>\(String(format: "%.1f", r.at))</td><td>\(r.epoch)</td><td>\(r.step)</td>"
                    + "<td>\(r.kind.rawValue.replacingOccurrences(of: "_", with: " "))</td><td>\(HTML.escape(r.detail ?? ""))</td></tr>"
            }
        }
        return rows + "</table>"
    }

    /// `ndcg@K`, `recall@K`, `hit@K`, `mrr@K` at the smallest K any run validated, then `rmse`, `mae`.
    static func validationKeys(_ runs: [ReportedRun]) -> [String] {
        let keys = Set(runs.flatMap { $0.summary.records.filter { $0.split == "valid" }.flatMap { $0.metrics.keys } })
        let ks = keys.compactMap { $0.split(separator: "@").last.flatMap { Int($0) } }
        var chosen: [String] = []
        if let k = ks.min() { chosen += rankingMetrics.map { "\($0)@\(k)" }.filter(keys.contains) }
        return chosen + ratingMetrics.filter(keys.contains)
    }
}
