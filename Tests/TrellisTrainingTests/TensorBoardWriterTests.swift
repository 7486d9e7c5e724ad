import Foundation
import TestSupport
import TrellisTraining
import XCTest

/// The event file reads back as TensorBoard reads it: TFRecord frames whose masked CRC-32Cs
/// check, a version record, then one event per record with its step and scalars.
final class TensorBoardWriterTests: XCTestCase {
    func testCRC32CKnownAnswers() {
        XCTAssertEqual(CRC32C.checksum(Array("123456789".utf8)), 0xE306_9283)   // the standard check value
        XCTAssertEqual(CRC32C.checksum([UInt8]()), 0)
        XCTAssertEqual(CRC32C.checksum([UInt8](repeating: 0, count: 32)), 0x8A91_36AA)   // RFC 3720 B.4
        XCTAssertEqual(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)), 0x62A8_AB43)
        // TensorFlow's mask: rotate right by 15, add 0xa282ead8.
        XCTAssertEqual(CRC32C.masked([UInt8]()), 0xA282_EAD8)
        XCTAssertEqual(CRC32C.masked(Array("123456789".utf8)), 0xC78A_B0E5)
    }

    /// Frames of an event file, each checked: the payloads.
    private func frames(_ path: String) throws -> [[UInt8]] {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        func u32(_ at: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(bytes[at + $1]) << (8 * UInt32($1)) } }
        var out: [[UInt8]] = [], at = 0
        while at < bytes.count {
            let length = Int((0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[at + $1]) << (8 * UInt64($1)) })
            XCTAssertEqual(u32(at + 8), CRC32C.masked(bytes[at..<(at + 8)]), "length CRC at \(at)")
            let data = Array(bytes[(at + 12)..<(at + 12 + length)])
            XCTAssertEqual(u32(at + 12 + length), CRC32C.masked(data), "data CRC at \(at)")
            out.append(data)
            at += 16 + length
        }
        return out
    }

    /// (step, [tag: value]) of an Event message; its version string if it has one.
    private func decode(_ event: [UInt8]) -> (step: Int, scalars: [String: Float], version: String?) {
        var step = 0, scalars: [String: Float] = [:], version: String?
        func varint(_ b: [UInt8], _ at: inout Int) -> UInt64 {
            var v: UInt64 = 0, shift: UInt64 = 0
            while true { let x = b[at]; at += 1; v |= UInt64(x & 0x7F) << shift; shift += 7; if x < 0x80 { return v } }
        }
        func fields(_ b: [UInt8], _ visit: (Int, [UInt8], UInt64) -> Void) {
            var at = 0
            while at < b.count {
                let key = varint(b, &at), field = Int(key >> 3)
                switch key & 7 {
                case 0: visit(field, [], varint(b, &at))
                case 1: visit(field, Array(b[at..<(at + 8)]), 0); at += 8
                case 5: visit(field, Array(b[at..<(at + 4)]), 0); at += 4
                default: let n = Int(varint(b, &at)); visit(field, Array(b[at..<(at + n)]), 0); at += n
                }
            }
        }
        fields(event) { field, payload, number in
            switch field {
            case 2: step = Int(number)
            case 3: version = String(decoding: payload, as: UTF8.self)
            case 5:
                fields(payload) { _, value, _ in
                    var tag = "", x: Float = .nan
                    fields(value) { f, p, _ in
                        if f == 1 { tag = String(decoding: p, as: UTF8.self) }
                        if f == 2 { x = Float(bitPattern: (0..<4).reduce(UInt32(0)) { $0 | UInt32(p[$1]) << (8 * UInt32($1)) }) }
                    }
                    scalars[tag] = x
                }
            default: break
            }
        }
        return (step, scalars, version)
    }

    func testEpochRecordsReadBackAsScalarEvents() throws {
        let dir = try TestData.temporaryDirectory().appendingPathComponent("tb").path
        let writer = try TensorBoardWriter(directory: dir)
        writer.add(EpochRecord(epoch: 1, split: "valid", loss: 0.5, trainSeconds: 2, evalSeconds: 0.1, metrics: ["ndcg@10": 0.25]))
        writer.add(EpochRecord(epoch: 2, split: "train", loss: 0.25, trainSeconds: 1.5, evalSeconds: 0, metrics: [:]))
        writer.add(EpochRecord(epoch: 2, split: "test", loss: 0, trainSeconds: 0, evalSeconds: 0, metrics: ["rmse": 0.92]))
        let events = try frames(writer.path).map(decode)
        XCTAssertEqual(events.count, 4)
        XCTAssertEqual(events[0].version, "brain.Event:2")
        XCTAssertEqual(events[1].step, 1)
        XCTAssertEqual(events[1].scalars, ["valid/ndcg@10": 0.25, "train/loss": 0.5, "train/seconds": 2])
        XCTAssertEqual(events[2].scalars, ["train/loss": 0.25, "train/seconds": 1.5])
        XCTAssertEqual(events[3].step, 2)
        XCTAssertEqual(events[3].scalars, ["test/rmse": 0.92])
        XCTAssert(URL(fileURLWithPath: writer.path).lastPathComponent.hasPrefix("events.out.tfevents."))
    }
}
