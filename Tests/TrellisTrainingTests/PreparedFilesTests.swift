import Foundation
import XCTest
import TrellisData
import TrellisTraining
import TestSupport

/// `trellis data prepare`'s folder: read back to the same split, refused when its files no
/// longer match the manifest or when the config asks for another split.
final class PreparedFilesTests: XCTestCase {
    func source() throws -> DataSettings {
        var s = DataSettings()
        s.path = try TestData.movieLens100K()
        s.split = .rows
        s.testRows = 20_000
        s.validRatio = 0.05
        return s
    }

    func prepared(_ s: DataSettings) throws -> (DataSettings, PreparedDataset) {
        let dir = try TestData.temporaryDirectory().appendingPathComponent("prepared").path
        let original = try PreparedDataset.load(s, seed: 3)
        try PreparedFiles.write(original.split, settings: s.splitSettings(seed: 3), to: dir)
        var read = s
        read.format = "prepared"
        read.path = dir
        return (read, original)
    }

    func testTheFolderReadsBackToTheSameSplit() throws {
        let (read, original) = try prepared(try source())
        let again = try PreparedDataset.load(read, seed: 3)
        for (a, b) in [(again.split.train, original.split.train), (again.split.valid, original.split.valid), (again.split.test, original.split.test)] {
            XCTAssertEqual(a.users, b.users)
            XCTAssertEqual(a.items, b.items)
            XCTAssertEqual(a.ratings, b.ratings)
            XCTAssertEqual(a.timestamps, b.timestamps)
            XCTAssertEqual(a.userIDs, b.userIDs)
            XCTAssertEqual(a.itemIDs, b.itemIDs)
        }
        XCTAssertEqual(again.trainItems.columns, original.trainItems.columns)
    }

    func testAFolderThatNoLongerMatchesItsManifestOrTheConfigIsRefused() throws {
        let (read, _) = try prepared(try source())
        // Another seed, another split.
        XCTAssertThrowsError(try PreparedDataset.load(read, seed: 4)) { error in
            XCTAssert("\(error)".contains("seed=4") && "\(error)".contains("prepare it again"), "\(error)")
        }
        var other = read
        other.validRatio = 0.1
        XCTAssertThrowsError(try PreparedDataset.load(other, seed: 3)) { error in XCTAssert("\(error)".contains("data.valid_ratio"), "\(error)") }
        // One flipped byte, then a truncated file.
        let path = read.path + "/train.items.i32"
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes[100] ^= 1
        try bytes.write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try PreparedDataset.load(read, seed: 3)) { error in
            XCTAssert("\(error)".contains("train.items.i32") && "\(error)".contains("the file changed"), "\(error)")
        }
        try bytes.prefix(bytes.count - 4).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try PreparedDataset.load(read, seed: 3)) { error in XCTAssert("\(error)".contains("bytes"), "\(error)") }
        try FileManager.default.removeItem(atPath: read.path + "/manifest.json")
        XCTAssertThrowsError(try PreparedDataset.load(read, seed: 3)) { error in XCTAssert("\(error)".contains("manifest.json"), "\(error)") }
    }
}
