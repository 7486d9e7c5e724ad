import Foundation
import XCTest

/// `trellis report` on real runs: the page is written, parses as XML, draws one line per run on
/// each chart with a point per epoch, and its tables carry results.json's numbers; bad folders
/// fail with the file and line, and nothing is written.
final class ReportCommandTests: XCTestCase {
    /// A folder with two finished 3-epoch bpr runs (seeds 1 and 2) on a small synthetic file.
    private func twoRuns() throws -> (dir: URL, a: String, b: String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("trellis-report-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        var lines: [String] = []
        for user in 1...30 {
            for k in 0..<10 { lines.append("\(user)\t\((user % 3) * 13 + (user + k) % 13 + 1)\t4\t\(880_000_000 + user * 100 + k)") }
        }
        let data = dir.appendingPathComponent("u.data").path
        try lines.joined(separator: "\n").write(toFile: data, atomically: true, encoding: .utf8)
        let config = dir.appendingPathComponent("bpr.yaml").path
        try """
        model: {kind: bpr, embedding_size: 8}
        data: {name: tiny, path: \(data), split: ratio, ratios: [0.8, 0.1, 0.1]}
        training: {epochs: 3, batch_size: 64, learning_rate: 0.01, threads: 1}
        evaluation: {topk: [5, 10], valid_metric: ndcg@10, stopping_step: 10}
        cluster: {partitions: 1, prefetch: false}
        """.write(toFile: config, atomically: true, encoding: .utf8)
        var outputs: [String] = []
        for seed in ["1", "2"] {
            let out = dir.appendingPathComponent("seed\(seed)").path
            let (status, log) = try Harness.run(["train", "--config", config, "--seed", seed, "--output", out])
            XCTAssertEqual(status, 0, log)
            outputs.append(out)
        }
        return (dir, outputs[0], outputs[1])
    }

    func testReportComparesRunsOnWellFormedCharts() throws {
        let (dir, a, b) = try twoRuns()
        let page = dir.appendingPathComponent("compare.html").path
        let (status, log) = try Harness.run(["report", a, "--compare", b, "--output", page])
        XCTAssertEqual(status, 0, log)
        XCTAssertTrue(log.contains("wrote \(page) (2 runs: seed1, seed2)"), log)

        // Well-formed XML; every chart, title and series listed as "title|name|points".
        let script = """
        import sys, xml.etree.ElementTree as ET
        root = ET.parse(sys.argv[1]).getroot()
        svg = '{http://www.w3.org/2000/svg}'
        for chart in root.iter(svg + 'svg'):
            title = chart.find(svg + 'text').text
            for g in chart.iter(svg + 'g'):
                pts = g.find(svg + 'polyline').get('points').split()
                assert len(pts) == int(g.get('data-points')), title
                print(f"{title}|{g.get('data-name')}|{len(pts)}")
        """
        let (listed, listing) = try Harness.tool(["python3", "-c", script, page])
        XCTAssertEqual(listed, 0, listing)
        var expected: [String] = []
        for title in ["training loss", "valid ndcg@5", "valid recall@5", "valid hit@5", "valid mrr@5", "seconds per training epoch"] {
            expected += ["\(title)|seed1|3", "\(title)|seed2|3"]
        }
        XCTAssertEqual(listing.split(separator: "\n").map(String.init), expected)

        // The test table holds results.json's numbers, each run in its column.
        let html = try String(contentsOfFile: page, encoding: .utf8)
        for run in [a, b] {
            let results = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/results.json"))) as! [String: Any]
            let ndcg = try XCTUnwrap((results["test"] as? [String: Double])?["ndcg@10"])
            XCTAssertTrue(html.contains(String(format: "%.4f", ndcg)), "ndcg@10 \(ndcg) of \(run) missing")
        }
        for fetch in ["<script", "src=", "href=", "@import", "url("] { XCTAssertFalse(html.contains(fetch), "the page must load nothing: \(fetch)") }

        // A PNG per chart beside the page, drawn (not blank: a blank 460x300 image compresses
        // to well under 2 KB; a chart with lines, ticks and text does not).
        let images = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix("compare-") && $0.hasSuffix(".png") }.sorted()
        XCTAssertEqual(images.count, 6, "\(images)")
        XCTAssert(images.contains("compare-1-training-loss.png"), "\(images)")
        for image in images {
            let bytes = [UInt8](try Data(contentsOf: dir.appendingPathComponent(image)))
            XCTAssertEqual(Array(bytes.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "\(image) is a PNG")
            XCTAssertGreaterThan(bytes.count, 4000, "\(image) has something drawn")
        }
        XCTAssertFalse(try FileManager.default.contentsOfDirectory(atPath: dir.path).contains { $0.hasSuffix(".svg") }, "no SVG left behind")

        // The page as a browser draws it: headless Chromium's screenshot is not blank (more than
        // 1% of its decompressed, filtered pixel bytes are neither white, zero nor filter tags).
        let shot = dir.appendingPathComponent("shot.png").path
        let (shown, browserLog) = try Harness.tool(["chromium", "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                                                    "--window-size=1200,1600", "--screenshot=\(shot)", "file://\(page)"])
        XCTAssertEqual(shown, 0, "chromium (deploy/setup.sh installs it): \(browserLog.suffix(500))")
        let (blank, drawn) = try Harness.tool(["python3", "-c", """
        import struct, sys, zlib
        data = open(sys.argv[1], 'rb').read()
        assert data[:8] == b'\\x89PNG\\r\\n\\x1a\\n', 'not a PNG'
        at, idat = 8, b''
        while at < len(data):
            n, kind = struct.unpack('>I4s', data[at:at + 8])
            if kind == b'IDAT': idat += data[at + 8:at + 8 + n]
            at += 12 + n
        raw = zlib.decompress(idat)
        drawn = sum(1 for b in raw if b not in (0, 1, 2, 3, 4, 255)) / len(raw)
        print(f'{drawn:.4f}')
        sys.exit(0 if drawn > 0.01 else 1)
        """, shot])
        XCTAssertEqual(blank, 0, "the screenshot looks blank: \(drawn)")

        // Without --output the page goes into the run's folder.
        XCTAssertEqual(try Harness.run(["report", a]).status, 0)
        XCTAssertTrue(FileManager.default.fileExists(atPath: a + "/report.html"))
    }

    func testBadRunFoldersFailClearlyAndWriteNothing() throws {
        let (dir, a, b) = try twoRuns()
        let broken = dir.appendingPathComponent("broken").path
        try FileManager.default.copyItem(atPath: b, toPath: broken)
        var metrics = try String(contentsOfFile: broken + "/metrics.jsonl", encoding: .utf8).split(separator: "\n").map(String.init)
        metrics[1] = #"{"epoch": "two"}"#
        try metrics.joined(separator: "\n").write(toFile: broken + "/metrics.jsonl", atomically: true, encoding: .utf8)
        let unfinished = dir.appendingPathComponent("unfinished").path
        try FileManager.default.createDirectory(atPath: unfinished, withIntermediateDirectories: true)
        let page = dir.appendingPathComponent("bad.html").path
        let cases: [([String], String)] = [
            ([dir.appendingPathComponent("missing").path], "no such folder"),
            ([unfinished], "metrics.jsonl: missing"),
            ([a, "--compare", broken], "broken/metrics.jsonl:2: expected a JSON object with epoch (integer)"),
        ]
        for (arguments, message) in cases {
            let (status, output) = try Harness.run(["report"] + arguments + ["--output", page])
            XCTAssertNotEqual(status, 0, output)
            XCTAssertTrue(output.contains(message), "expected '\(message)' in:\n\(output)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: page), "a failed report wrote \(page)")
        }
    }
}
