import XCTest
import TrellisWire

final class ByteIOTests: XCTestCase {
    func testScalarsRoundTripLittleEndian() throws {
        var w = ByteWriter()
        w.u8(0xAB); w.u16(0x1234); w.u32(0xDEAD_BEEF); w.u64(0x0102_0304_0506_0708)
        w.i32(-5); w.f32(1.5); w.f64(-2.25)
        XCTAssertEqual(Array(w.bytes[1..<3]), [0x34, 0x12])
        var r = ByteReader(w.bytes)
        XCTAssertEqual(try r.u8("a"), 0xAB)
        XCTAssertEqual(try r.u16("b"), 0x1234)
        XCTAssertEqual(try r.u32("c"), 0xDEAD_BEEF)
        XCTAssertEqual(try r.u64("d"), 0x0102_0304_0506_0708)
        XCTAssertEqual(try r.i32("e"), -5)
        XCTAssertEqual(try r.f32("f"), 1.5)
        XCTAssertEqual(try r.f64("g"), -2.25)
        XCTAssertNoThrow(try r.expectEnd("msg"))
    }

    func testBlobsStringsAndArrays() throws {
        var w = ByteWriter()
        w.string("héllo"); w.blob([1, 2, 3])
        w.floats([1, -2, 3.5]); w.int32s([7, -8])
        var r = ByteReader(w.bytes)
        XCTAssertEqual(try r.readString("name", maxBytes: 64), "héllo")
        XCTAssertEqual(try r.readBlob("blob", maxBytes: 3), [1, 2, 3])
        XCTAssertEqual(try r.floats("values", count: 3), [1, -2, 3.5])
        XCTAssertEqual(try r.int32s("ids", count: 2), [7, -8])
        XCTAssertTrue(r.isAtEnd)
    }

    func testReadErrorsNameTheField() {
        var r = ByteReader([1, 2])
        XCTAssertThrowsError(try r.u32("header.count")) { error in
            XCTAssertEqual("\(error)", "header.count: truncated, needed 4 bytes at offset 0, have 2")
        }
        var w = ByteWriter(); w.string("too long")
        var s = ByteReader(w.bytes)
        XCTAssertThrowsError(try s.readString("peer.name", maxBytes: 4)) { error in
            XCTAssertEqual((error as? WireError)?.kind, .outOfRange)
        }
        var t = ByteReader([1, 2, 3])
        _ = try? t.u8("x")
        XCTAssertThrowsError(try t.expectEnd("msg")) { XCTAssertEqual(($0 as? WireError)?.kind, .trailingBytes) }
    }

    func testHugeCountsFailBeforeAllocating() {
        var r = ByteReader([0, 0, 0, 0])
        XCTAssertThrowsError(try r.floats("values", count: Int(UInt32.max)))
        XCTAssertThrowsError(try r.floats("values", count: Int.max))
        XCTAssertThrowsError(try r.floats("values", count: -1))
        var w = ByteWriter(); w.u32(UInt32.max)
        var b = ByteReader(w.bytes)
        XCTAssertThrowsError(try b.readBlob("blob", maxBytes: Int.max)) { XCTAssertEqual(($0 as? WireError)?.kind, .truncated) }
    }

    func testInvalidUTF8IsRejected() {
        var w = ByteWriter(); w.blob([0x66, 0xFF, 0x66])
        var r = ByteReader(w.bytes)
        XCTAssertThrowsError(try r.readString("name", maxBytes: 16))
    }

    func testReaderWindowCountsOffsetsFromItsStart() {
        let bytes: [UInt8] = [9, 9, 1, 0, 9]
        var r = ByteReader(bytes, range: 2..<4)
        XCTAssertEqual(try r.u16("v"), 1)
        XCTAssertEqual(r.offset, 2)
        XCTAssertThrowsError(try r.u8("past"))
    }

    func testVarintsRoundTripAndRejectOverlong() throws {
        let unsigned: [UInt64] = [0, 1, 127, 128, 300, 1 << 32, UInt64.max]
        let signed: [Int64] = [0, -1, 1, -64, 64, Int64(Int32.min) * 2, Int64.min, Int64.max]
        var w = ByteWriter()
        for v in unsigned { w.varuint(v) }
        for v in signed { w.varint(v) }
        var r = ByteReader(w.bytes)
        for v in unsigned { XCTAssertEqual(try r.varuint("u"), v) }
        for v in signed { XCTAssertEqual(try r.varint("s"), v) }
        var overlong = ByteReader([UInt8](repeating: 0x80, count: 11) + [0])
        XCTAssertThrowsError(try overlong.varuint("v"))
        var overflow = ByteReader([UInt8](repeating: 0xFF, count: 9) + [0x02])
        XCTAssertThrowsError(try overflow.varuint("v"))
        var cut = ByteReader([0x80, 0x80])
        XCTAssertThrowsError(try cut.varuint("v")) { XCTAssertEqual(($0 as? WireError)?.kind, .truncated) }
    }

    /// A message of many tensors reserves once per tensor; the buffer must grow geometrically,
    /// not to each exact size (which copied a frame's bytes once per tensor).
    func testReserveGrowsGeometrically() {
        var w = ByteWriter()
        var capacities = Set<Int>()
        for _ in 0..<1000 {
            w.reserve(1000)
            w.raw([UInt8](repeating: 1, count: 1000))
            capacities.insert(w.bytes.capacity)
        }
        XCTAssertEqual(w.count, 1_000_000)
        XCTAssertLessThan(capacities.count, 25, "reallocations for 1,000 appends")
    }
}
