import XCTest
import TrellisCore
import TrellisTensor

/// Asserts two float arrays agree element-wise within `accuracy`.
public func assertClose(_ a: [Float], _ b: [Float], accuracy: Float = 1e-5,
                        file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, "lengths differ", file: file, line: line)
    for (i, (x, y)) in zip(a, b).enumerated() where abs(x - y) > accuracy * max(1, abs(y)) {
        XCTFail("element \(i): \(x) vs \(y)", file: file, line: line)
        return
    }
}

/// Where test data lives: `$TRELLIS_DATA_DIR`, else `data/` at the package root.
public enum TestData {
    public static var directory: String {
        if let dir = ProcessInfo.processInfo.environment["TRELLIS_DATA_DIR"] { return dir }
        // Tests/TestSupport/TestSupport.swift -> package root
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent("data").path
    }

    /// Path of one of MovieLens-100K's RecBole atomic files (`inter`, `item`, `user`, `kg`,
    /// `link`); fails the test (with how to fetch it) when absent, since CI fetches it first.
    /// A missing dataset is never a skip: a skipped test would hide that nothing was checked.
    public static func movieLens100K(_ ext: String = "inter", file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let path = directory + "/ml-100k/ml-100k." + ext
        guard FileManager.default.fileExists(atPath: path) else {
            XCTFail("\(path) is missing: run `bash deploy/fetch-ml100k.sh data` first", file: file, line: line)
            throw CocoaError(.fileNoSuchFile)
        }
        return path
    }

    /// A fresh temporary folder.
    public static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("trellis-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// Bytes a hostile peer would send.
public enum HostileBytes {
    /// A valid LZ4 block that inflates to `size` zero bytes from about size / 255 bytes: one
    /// literal, one long match at offset 1, and the five literals LZ4 requires at the end.
    public static func zeroBomb(_ size: Int) -> [UInt8] {
        precondition(size >= 25)
        var out: [UInt8] = [0x1F, 0, 1, 0]  // 1 literal (0), match length 15 + extension, offset 1
        var rest = size - 6 - 4 - 15
        while rest >= 255 { out.append(255); rest -= 255 }
        out.append(UInt8(rest))
        return out + [0x50, 0, 0, 0, 0, 0]
    }
}
