import XCTest
@testable import TrellisCheckpoint

/// The .npy layout byte by byte (NumPy itself reads these files in ServingCommandTests).
final class NPYTests: XCTestCase {
    /// The header dict of `bytes`, after checking magic, version and the 64-byte alignment.
    private func header(_ bytes: [UInt8]) throws -> (dict: String, dataStart: Int) {
        XCTAssertEqual(Array(bytes[0..<8]), [0x93] + Array("NUMPY".utf8) + [1, 0])
        let length = Int(bytes[8]) | Int(bytes[9]) << 8
        XCTAssertEqual((10 + length) % 64, 0, "the data starts 64-byte aligned")
        XCTAssertEqual(bytes[10 + length - 1], 0x0A, "the header ends with a newline")
        return (String(decoding: bytes[10..<(10 + length)], as: UTF8.self), 10 + length)
    }

    func testFloat32Matrix() throws {
        let bytes = NPY.float32(shape: [2, 3], values: [1, -2, 3.5, 0, .pi, -0.0])
        let (dict, start) = try header(bytes)
        XCTAssertTrue(dict.hasPrefix("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"), dict)
        XCTAssertEqual(bytes.count, start + 6 * 4)
        let values = (0..<6).map { k in
            Float(bitPattern: (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[start + 4 * k + $1]) << (8 * $1) })
        }
        XCTAssertEqual(values.map(\.bitPattern), ([1, -2, 3.5, 0, .pi, -0.0] as [Float]).map(\.bitPattern))
    }

    func testStringsAreFixedWidthUTF32() throws {
        let bytes = NPY.strings(["196", "7", "ü"])
        let (dict, start) = try header(bytes)
        XCTAssertTrue(dict.hasPrefix("{'descr': '<U3', 'fortran_order': False, 'shape': (3,), }"), dict)
        XCTAssertEqual(bytes.count, start + 3 * 3 * 4)
        XCTAssertEqual(Array(bytes[(start + 12)..<(start + 24)]), [55, 0, 0, 0] + [UInt8](repeating: 0, count: 8), "\"7\" padded with zeros")
        XCTAssertEqual(Array(bytes[(start + 24)..<(start + 28)]), [0xFC, 0, 0, 0], "ü as one UTF-32 code unit")
        XCTAssertTrue(try header(NPY.strings([])).dict.contains("'<U1'"), "an empty list still has a width")
    }
}
