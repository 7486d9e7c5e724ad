import Foundation
import XCTest

/// `trellis data synth letterboxd` through the real binary: the files and the summary it
/// promises, and a clear refusal of a scale it cannot draw.
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
    }
}
