import Foundation
import XCTest
import TestSupport
@testable import TrellisData

/// A scratch directory for fixture files, removed by `remove()`.
struct FixtureDirectory {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "trellis-data-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// Writes `contents` to `name` inside the directory and returns its path.
    func file(_ name: String, _ contents: String) throws -> String {
        let target = path + "/" + name
        try contents.write(toFile: target, atomically: true, encoding: .utf8)
        return target
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// Where the real ml-100k atomic files live: `$TRELLIS_DATA_DIR/ml-100k` or `<repo>/data/ml-100k`;
/// a missing file fails the calling test (TestSupport's rule), it does not skip it.
func ml100kPath(_ ext: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
    try TestData.movieLens100K(ext, file: file, line: line)
}

/// Runs `body`, expecting a `DataError`, and returns it (failing the test otherwise).
func expectDataError<T>(_ body: () throws -> T, file: StaticString = #filePath, line: UInt = #line) -> DataError? {
    do {
        _ = try body()
        XCTFail("expected a DataError, got a result", file: file, line: line)
    } catch let error as DataError {
        return error
    } catch {
        XCTFail("expected a DataError, got \(error)", file: file, line: line)
    }
    return nil
}

/// Writes `contents` to a fixture file `name`, loads it expecting a `DataError`, and returns it.
func loadError(_ name: String, _ contents: String, ratingScale: ClosedRange<Double>? = nil,
               file: StaticString = #filePath, line: UInt = #line) throws -> DataError? {
    let dir = try FixtureDirectory(); defer { dir.remove() }
    let path = try dir.file(name, contents)
    return expectDataError({ try InteractionLoader.load(path: path, ratingScale: ratingScale) }, file: file, line: line)
}

/// A small table built from raw (user, item, timestamp) triples.
func makeTable(_ rows: [(String, String, Double)]) -> InteractionTable {
    var users = IDMap(), items = IDMap()
    return InteractionTable(users: rows.map { users.intern($0.0) }, items: rows.map { items.intern($0.1) },
                            ratings: rows.map { _ in 1 }, timestamps: rows.map { $0.2 },
                            userIDs: users, itemIDs: items)
}
