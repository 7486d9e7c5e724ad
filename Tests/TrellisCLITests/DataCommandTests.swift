import Foundation
import XCTest

/// `trellis data synth letterboxd` through the real binary: the files and the summary it
/// promises, and a clear refusal of a scale it cannot draw; `bench-partition` on what it wrote.
final class DataCommandTests: XCTestCase {
    func testSynthLetterboxdWritesTheDatasetAndItsSummary() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("trellis-synth-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let (status, output) = try Harness.run(["data", "synth", "letterboxd", "--scale", "0.05", "--seed", "3", "--out", out])
        XCTAssertEqual(status, 0, output)
        XCTAssert(output.contains("553 users, 7119 movies, 44483 ratings"), output)
        let summary = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/synth.json"))) as? [String: Any])
        XCTAssertEqual(summary["ratings"] as? Int, 44483)
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(summary["ratings_per_movie_min"] as? Int), 5)
        XCTAssertLessThan(try XCTUnwrap(summary["floor_rmse"] as? Double), try XCTUnwrap(summary["global_mean_rmse"] as? Double))
        for file in ["letterboxd.csv", "letterboxd.inter"] { XCTAssert(FileManager.default.fileExists(atPath: "\(out)/\(file)"), file) }

        let (refused, message) = try Harness.run(["data", "synth", "letterboxd", "--scale", "0.01", "--out", out])
        XCTAssertNotEqual(refused, 0)
        XCTAssert(message.contains("--scale 0.01: expected 0.05 to 4.0"), message)

        let config = out + "/lb.yaml"
        try "data: {path: \(out)/letterboxd.inter}\ntask: {kind: rating}\nmodel: {kind: gatv2}\nevaluation: {valid_metric: rmse}\n".write(toFile: config, atomically: true, encoding: .utf8)
        let (benched, table) = try Harness.run(["bench-partition", "--config", config, "--parts", "2", "4"])
        XCTAssertEqual(benched, 0, table)
        for row in ["hash         2", "greedy       2", "metis        4"] { XCTAssert(table.contains(row), "no '\(row)' in:\n\(table)") }

        // Prepared once, the same graph without parsing text.
        let (prepared, summary2) = try Harness.run(["data", "prepare", "--config", config, "--out", out + "/prepared"])
        XCTAssertEqual(prepared, 0, summary2)
        XCTAssert(summary2.contains("553 users, 7119 items; train "), summary2)
        let fromFolder = out + "/prepared.yaml"
        try "data: {format: prepared, path: \(out)/prepared}\ntask: {kind: rating}\nmodel: {kind: gatv2}\nevaluation: {valid_metric: rmse}\n"
            .write(toFile: fromFolder, atomically: true, encoding: .utf8)
        let (again, table2) = try Harness.run(["bench-partition", "--config", fromFolder, "--parts", "2", "4"])
        XCTAssertEqual(again, 0, table2)
        func rows(_ text: String) -> [Substring] { text.split(separator: "\n").filter { $0.hasPrefix("hash") || $0.contains("edges in") } }
        XCTAssertEqual(rows(table2).count, rows(table).count)
        XCTAssertEqual(rows(table2).first, rows(table).first, "the same graph")
    }

    func testSynthRetailWritesTwoDomainsAndASummary() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("trellis-retail-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let (status, output) = try Harness.run(["data", "synth", "retail", "--scale", "0.002", "--out", out])
        XCTAssertEqual(status, 0, output)
        XCTAssert(output.contains("572 users, 1024 items, 18400 events"), output)
        let summary = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/synth.json"))) as? [String: Any])
        XCTAssertEqual((summary["retail_events"] as? Int).flatMap { r in (summary["marketplace_events"] as? Int).map { r + $0 } }, 18400)
        for file in ["retail.csv", "marketplace.csv", "events.inter"] { XCTAssert(FileManager.default.fileExists(atPath: "\(out)/\(file)"), file) }
        let (refused, message) = try Harness.run(["data", "synth", "retail", "--scale", "9", "--out", out])
        XCTAssertNotEqual(refused, 0)
        XCTAssert(message.contains("--scale 9.0: expected 0.001 to 4.0"), message)
    }
}
