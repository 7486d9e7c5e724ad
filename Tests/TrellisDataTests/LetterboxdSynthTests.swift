import Foundation
import XCTest
@testable import TrellisData

/// The synthetic Letterboxd graph: the counts the scale asks for, every movie rated at least
/// five times, half-star ratings, files that load back, the same bytes for the same seed, and
/// a noise floor well below the global mean's error.
final class LetterboxdSynthTests: XCTestCase {
    func testCountsShapesAndFilesAtScale005() throws {
        let synth = LetterboxdSynth(scale: 0.05, seed: 7)
        XCTAssertEqual([synth.users, synth.movies, synth.ratingCount], [553, 7119, 44_483])
        let r = synth.generate()
        XCTAssertEqual(r.users.count, synth.ratingCount)
        var perMovie = [Int](repeating: 0, count: synth.movies)
        var pairs = Set<Int64>()
        for e in 0..<r.users.count {
            perMovie[Int(r.movies[e])] += 1
            XCTAssert(pairs.insert(Int64(r.users[e]) << 32 | Int64(r.movies[e])).inserted, "a user rates a movie once")
            XCTAssert((1...10).contains(r.halfStars[e]))
            if e > 0, r.users[e] == r.users[e - 1] { XCTAssertGreaterThanOrEqual(r.timestamps[e], r.timestamps[e - 1]) }
        }
        XCTAssertGreaterThanOrEqual(perMovie.min()!, 5)
        XCTAssertLessThan(r.floorRMSE, r.meanRMSE - 0.2, "the planted taste explains a good part of the ratings")
        XCTAssertEqual(r.floorRMSE, 0.55, accuracy: 0.03, "the floor is about the noise")

        let dir = try FixtureDirectory(); defer { dir.remove() }
        let paths = try RatingFiles.write(r, directory: dir.path, stem: "lb")
        let loaded = try InteractionLoader.load(path: paths[1])
        XCTAssertEqual(loaded.count, r.users.count)
        XCTAssertEqual(loaded.ratings[0], Float(r.halfStars[0]) / 2)
        let csv = try String(contentsOfFile: paths[0], encoding: .utf8)
        XCTAssert(csv.hasPrefix("user_id,movie_id,rating,timestamp\n"))
        XCTAssertEqual(csv.split(separator: "\n").count, r.users.count + 1)
        XCTAssertFalse(FileManager.default.fileExists(atPath: paths[0] + ".tmp"))
    }

    func testTheSeedDecidesEveryDraw() {
        let a = LetterboxdSynth(scale: 0.05, seed: 1).generate(), b = LetterboxdSynth(scale: 0.05, seed: 1).generate()
        let c = LetterboxdSynth(scale: 0.05, seed: 2).generate()
        XCTAssertEqual(a.movies, b.movies)
        XCTAssertEqual(a.halfStars, b.halfStars)
        XCTAssertEqual(a.timestamps, b.timestamps)
        XCTAssertNotEqual(a.movies, c.movies)
    }
}
