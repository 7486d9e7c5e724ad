import Foundation
import XCTest
@testable import TrellisData

/// The synthetic retail sequences: the counts the scale asks for, sequences of at least two
/// events in time order, no item twice in a row, a learnable successor share, two domain files
/// that split the events, a RecBole file that loads back, and the same draws for the same seed.
final class RetailSynthTests: XCTestCase {
    func testCountsSequencesAndFiles() throws {
        let synth = RetailSynth(scale: 0.005, seed: 3)
        XCTAssertEqual([synth.users, synth.items, synth.eventCount], [1430, 1580, 46000])
        let e = synth.generate()
        XCTAssertEqual(e.users.count, synth.eventCount)
        var lengths = [Int](repeating: 0, count: synth.users)
        for k in 0..<e.users.count {
            lengths[Int(e.users[k])] += 1
            XCTAssert(e.items[k] >= 0 && Int(e.items[k]) < synth.items)
            if k > 0, e.users[k] == e.users[k - 1] {
                XCTAssertNotEqual(e.items[k], e.items[k - 1], "no item twice in a row")
                XCTAssertGreaterThan(e.timestamps[k], e.timestamps[k - 1])
            } else if k > 0 {
                XCTAssertEqual(e.users[k], e.users[k - 1] + 1, "grouped by user")
            }
        }
        XCTAssertGreaterThanOrEqual(lengths.min()!, 2)
        let share = Double(e.successorEvents) / Double(e.users.count)
        XCTAssert((0.2...0.5).contains(share), "successor share \(share)")

        let dir = try FixtureDirectory(); defer { dir.remove() }
        let paths = try EventFiles.write(e, directory: dir.path)
        let rows = try paths.prefix(2).map { try String(contentsOfFile: $0, encoding: .utf8).split(separator: "\n").count - 1 }
        XCTAssertEqual(rows.reduce(0, +), e.users.count, "the domain files split the events")
        XCTAssertGreaterThan(rows[0], rows[1], "retail holds 60% of the items")
        let loaded = try InteractionLoader.load(path: paths[2])
        XCTAssertEqual(loaded.count, e.users.count)
        XCTAssertEqual(loaded.timestamps[0], Double(e.timestamps[0]))
    }

    func testTheSeedDecidesEveryDraw() {
        let a = RetailSynth(scale: 0.002, seed: 1).generate(), b = RetailSynth(scale: 0.002, seed: 1).generate()
        XCTAssertEqual(a.items, b.items)
        XCTAssertEqual(a.timestamps, b.timestamps)
        XCTAssertNotEqual(a.items, RetailSynth(scale: 0.002, seed: 2).generate().items)
    }
}
