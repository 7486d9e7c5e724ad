import XCTest
import TrellisTensor
@testable import TrellisCheckpoint

/// Encoding and decoding of well-formed safetensors files.
final class SafeTensorsTests: XCTestCase {
    func testRoundTripOfMixedDTypesWithMetadata() throws {
        let entries = [
            SafeTensorsEntry(name: "param/item.embedding", tensor: Tensor(shape: [2, 3], data: [1, -2, 3.5, .pi, 0, -0.0])),
            SafeTensorsEntry(name: "rng/worker.0", uint64s: [0, 1, .max, 0xDEAD_BEEF_0123_4567]),
            SafeTensorsEntry(name: "step", int64s: [-7, .min, .max]),
            SafeTensorsEntry(name: "cursor/partition.3", int32s: [1, -1, 2, 3], shape: [2, 2]),
            SafeTensorsEntry(name: "flags", uint8s: [0, 255, 7]),
            SafeTensorsEntry(name: "scalar", tensor: Tensor(scalar: 42)),
            SafeTensorsEntry(name: "empty", tensor: Tensor(shape: [0, 4])),
        ]
        let metadata = ["epoch": "3", "note": "quote \" backslash \\ newline \n tab \t bell \u{07} ünïcödé"]
        let bytes = SafeTensors.encode(entries: entries, metadata: metadata)
        let decoded = try SafeTensors.decode(bytes, file: "mixed.safetensors")

        XCTAssertEqual(decoded.entries, entries, "entries come back in the order written")
        XCTAssertEqual(decoded.metadata, metadata)
        XCTAssertEqual(try decoded.entries[0].tensor(), try entries[0].tensor())
        XCTAssertEqual(try decoded.entries[1].uint64s(), [0, 1, .max, 0xDEAD_BEEF_0123_4567])
        XCTAssertEqual(try decoded.entries[2].int64s(), [-7, .min, .max])
        XCTAssertEqual(try decoded.entries[3].int32s(), [1, -1, 2, 3])
        XCTAssertEqual(try decoded.entries[4].uint8s(), [0, 255, 7])
        XCTAssertEqual(try decoded.entries[5].tensor().scalar, 42)
        XCTAssertEqual(try decoded.entries[6].tensor().shape, [0, 4])
    }

    func testTypedAccessorRejectsOtherDType() {
        let entry = SafeTensorsEntry(name: "step", int64s: [1])
        XCTAssertThrowsError(try entry.tensor()) { error in
            let error = error as! CheckpointError
            XCTAssertEqual(error.kind, .typeMismatch)
            XCTAssertEqual(error.description, "tensor \"step\": expected dtype F32, found I64")
        }
    }

    func testSameStateGivesByteIdenticalFiles() throws {
        // Dictionaries with different insertion histories hash-order their keys differently.
        var a = CheckpointState(metadata: ["b": "2", "a": "1"])
        var b = CheckpointState()
        for i in 0..<20 { a.tensors["t\(i)"] = Tensor(shape: [2], data: [Float(i), 1]) }
        for i in (0..<20).reversed() { b.tensors["t\(i)"] = Tensor(shape: [2], data: [Float(i), 1]) }
        a.words["rng"] = [1, 2]
        b.words["rng"] = [1, 2]
        b.metadata["a"] = "1"
        b.metadata["b"] = "2"
        XCTAssertEqual(try a.encoded(), try b.encoded())
        XCTAssertEqual(try CheckpointState(decoding: a.encoded(), file: "a"), a)
    }

    func testTiny2x2LayoutByHand() {
        let bytes = SafeTensors.encode(entries: [SafeTensorsEntry(name: "w", tensor: Tensor(shape: [2, 2], data: [1, 2, 3, 4]))])
        let json = #"{"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}"#
        XCTAssertEqual(json.utf8.count, 57)
        var expected: [UInt8] = [64, 0, 0, 0, 0, 0, 0, 0]                     // 57 padded up to 64
        expected += Array(json.utf8) + [UInt8](repeating: 0x20, count: 7)    // spaces to a multiple of 8
        expected += [0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0x40,          // 1.0, 2.0 little-endian
                     0x00, 0x00, 0x40, 0x40, 0x00, 0x00, 0x80, 0x40]          // 3.0, 4.0
        XCTAssertEqual(bytes, expected)
        XCTAssertEqual(bytes.count, 88)
    }

    func testHeaderKeysAreSortedAndMetadataComesFirst() throws {
        let bytes = SafeTensors.encode(entries: [SafeTensorsEntry(name: "z", uint8s: [1]),
                                                 SafeTensorsEntry(name: "a", uint8s: [2])],
                                       metadata: ["k": "v"])
        let header = String(decoding: bytes[8..<(8 + Int(bytes[0]))], as: UTF8.self)
        XCTAssertEqual(header.trimmingCharacters(in: .whitespaces),
                       #"{"__metadata__":{"k":"v"},"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]},"#
                       + #""z":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}"#)
        XCTAssertEqual(try SafeTensors.decode(bytes, file: "f").entries.map(\.name), ["z", "a"])
    }

    func testCRC32KnownValues() {
        XCTAssertEqual(CRC32.checksum([]), 0)
        XCTAssertEqual(CRC32.checksum(Array("123456789".utf8)), 0xCBF4_3926)
        XCTAssertEqual(CRC32.checksum(Array("The quick brown fox jumps over the lazy dog".utf8)), 0x414F_A339)
        XCTAssertEqual(CRC32.update(CRC32.checksum(Array("12345".utf8)), Array("6789".utf8)), 0xCBF4_3926)
        XCTAssertEqual(CRC32.hex(0x0A0B), "00000a0b")
    }

    func testStateRejectsNameUsedTwiceAndOtherDTypes() {
        let state = CheckpointState(tensors: ["x": Tensor(scalar: 1)], words: ["x": [1]])
        XCTAssertThrowsError(try state.entries()) { XCTAssertEqual(($0 as! CheckpointError).kind, .invalidState) }
        XCTAssertThrowsError(try CheckpointState(entries: [SafeTensorsEntry(name: "s", int64s: [1])])) {
            XCTAssertEqual(($0 as! CheckpointError).tensor, "s")
        }
    }
}
