import XCTest
import TrellisTensor
import TrellisCheckpoint

/// Malformed files: every one must throw a `CheckpointError` naming what is wrong, never trap.
final class SafeTensorsRejectionTests: XCTestCase {
    /// A file with `header` verbatim (no padding) and `data` after it.
    private func file(header: String, data: [UInt8] = [], declaredLength: UInt64? = nil) -> [UInt8] {
        let json = Array(header.utf8)
        var out: [UInt8] = []
        withUnsafeBytes(of: (declaredLength ?? UInt64(json.count)).littleEndian) { out += $0 }
        return out + json + data
    }

    private func rejection(_ bytes: [UInt8], file name: String = "bad.safetensors",
                           line: UInt = #line) -> CheckpointError? {
        do {
            _ = try SafeTensors.decode(bytes, file: name)
            XCTFail("decode accepted a malformed file", line: line)
            return nil
        } catch let error as CheckpointError {
            XCTAssertEqual(error.file, name, line: line)
            return error
        } catch {
            XCTFail("unexpected error type \(error)", line: line)
            return nil
        }
    }

    func testTruncationAtEveryOffsetThrows() {
        let bytes = SafeTensors.encode(entries: [
            SafeTensorsEntry(name: "a", tensor: Tensor(shape: [3], data: [1, 2, 3])),
            SafeTensorsEntry(name: "b", uint64s: [9, 8]),
            SafeTensorsEntry(name: "c", uint8s: [1]),
        ], metadata: ["m": "x"])
        XCTAssertNoThrow(try SafeTensors.decode(bytes, file: "ok"))
        for cut in 0..<bytes.count {
            XCTAssertThrowsError(try SafeTensors.decode(Array(bytes[0..<cut]), file: "cut"), "prefix of \(cut) bytes")
        }
    }

    func testHeaderLengthBeyondFile() {
        let error = rejection(file(header: "{}", declaredLength: 1000))
        XCTAssertEqual(error?.kind, .truncated)
        XCTAssertEqual(error?.description, "bad.safetensors: expected a header of 1000 bytes, found 2 bytes after the length prefix")
        XCTAssertEqual(rejection(file(header: "{}", declaredLength: .max))?.kind, .invalidHeader)
        XCTAssertEqual(rejection(file(header: "{}", declaredLength: 100_000_001))?.kind, .invalidHeader)
    }

    func testBadJSON() {
        XCTAssertEqual(rejection(file(header: #"{"a": {"dtype": "F32""#))?.kind, .invalidHeader)
        XCTAssertEqual(rejection(file(header: "[1, 2]"))?.kind, .invalidHeader)
        XCTAssertEqual(rejection(file(header: ""))?.kind, .invalidHeader)
        XCTAssertEqual(rejection(file(header: "{\u{FF}}"))?.kind, .invalidHeader)
        // Structurally wrong records name the tensor.
        let missing = rejection(file(header: #"{"a": {"dtype": "F32", "shape": [1]}}"#, data: [0, 0, 0, 0]))
        XCTAssertEqual(missing?.tensor, "a")
        let fractional = rejection(file(header: #"{"a": {"dtype": "U8", "shape": [1.5], "data_offsets": [0, 1]}}"#, data: [0]))
        XCTAssertEqual(fractional?.tensor, "a")
        XCTAssertEqual(rejection(file(header: #"{"__metadata__": {"k": 1}}"#))?.kind, .invalidHeader)
    }

    func testUnknownDType() {
        let error = rejection(file(header: #"{"w": {"dtype": "BF16", "shape": [2], "data_offsets": [0, 4]}}"#, data: [0, 0, 0, 0]))
        XCTAssertEqual(error?.kind, .invalidTensor)
        XCTAssertEqual(error?.tensor, "w")
        XCTAssertEqual(error?.found, "\"BF16\"")
    }

    func testShapeOffsetMismatch() {
        let error = rejection(file(header: #"{"w": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 12]}}"#,
                                   data: [UInt8](repeating: 0, count: 12)))
        XCTAssertEqual(error?.description, "bad.safetensors: tensor \"w\": expected 16 bytes for shape [2, 2] of F32, "
                       + "found data_offsets [0, 12] spanning 12 bytes")
        XCTAssertEqual(rejection(file(header: #"{"w": {"dtype": "U8", "shape": [-1], "data_offsets": [0, 0]}}"#))?.tensor, "w")
        let huge = #"{"w": {"dtype": "I64", "shape": [4611686018427387904, 4], "data_offsets": [0, 0]}}"#
        XCTAssertEqual(rejection(file(header: huge))?.kind, .invalidTensor)
        XCTAssertEqual(rejection(file(header: #"{"w": {"dtype": "U8", "shape": [2], "data_offsets": [0, 2]}}"#, data: [1]))?.kind,
                       .invalidTensor, "end beyond the buffer")
        XCTAssertEqual(rejection(file(header: #"{"w": {"dtype": "U8", "shape": [0], "data_offsets": [1, 0]}}"#, data: [1]))?.kind,
                       .invalidTensor, "begin after end")
    }

    func testOverlappingOffsets() {
        let header = #"{"a": {"dtype": "U8", "shape": [4], "data_offsets": [0, 4]}, "#
            + #""b": {"dtype": "U8", "shape": [4], "data_offsets": [2, 6]}}"#
        let error = rejection(file(header: header, data: [UInt8](repeating: 1, count: 6)))
        XCTAssertEqual(error?.tensor, "b")
        XCTAssertEqual(error?.found, "2 (overlapping \"a\", which ends at 4)")
    }

    func testGapsAndTrailingBytes() {
        let gap = #"{"a": {"dtype": "U8", "shape": [1], "data_offsets": [1, 2]}}"#
        XCTAssertEqual(rejection(file(header: gap, data: [0, 0]))?.tensor, "a")
        let trailing = #"{"a": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]}}"#
        XCTAssertEqual(rejection(file(header: trailing, data: [0, 0]))?.found, "1 bytes covered")
    }

    func testPaddedHeaderFromOtherWritersIsAccepted() throws {
        let header = #"{"a": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]}}   "#
        let decoded = try SafeTensors.decode(file(header: header, data: [5]), file: "ok")
        XCTAssertEqual(try decoded.entries[0].uint8s(), [5])
    }
}
