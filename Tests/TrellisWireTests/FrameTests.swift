import CZlib
import XCTest
import TrellisWire
import TrellisCore

final class FrameTests: XCTestCase {
    private let sample = Frame(kind: 7, flags: 0x0101, header: [1, 2, 3, 4, 5], body: Array(0..<200).map { UInt8($0) })

    func testCRC32KnownValues() {
        XCTAssertEqual(CRC32.checksum(Array("123456789".utf8)), 0xCBF4_3926)
        XCTAssertEqual(CRC32.checksum([]), 0)
        XCTAssertEqual(CRC32.checksum(Array("The quick brown fox jumps over the lazy dog".utf8)), 0x414F_A339)
    }

    func testCRC32IncrementalMatchesWhole() {
        var g = SeededGenerator(seed: 3)
        let bytes = g.bytes(1000)
        for cut in [0, 1, 7, 8, 9, 500, 999, 1000] {
            let whole = CRC32.checksum(bytes)
            let a = bytes.withUnsafeBytes { CRC32.update(0, with: UnsafeRawBufferPointer(rebasing: $0[0..<cut])) }
            let ab = bytes.withUnsafeBytes { CRC32.update(a, with: UnsafeRawBufferPointer(rebasing: $0[cut...])) }
            XCTAssertEqual(ab, whole, "cut at \(cut)")
        }
    }

    func testCRC32MatchesZlib() {
        // libdeflate's vector path runs on long buffers only: lengths around its block sizes.
        var g = SeededGenerator(seed: 4)
        let bytes = g.bytes(1 << 20)
        for n in [1, 15, 16, 63, 64, 65, 255, 256, 4_097, 65_535, 1 << 20] {
            let zlib = bytes.withUnsafeBufferPointer { UInt32(truncatingIfNeeded: crc32_z(0, $0.baseAddress!, n)) }
            XCTAssertEqual(bytes.withUnsafeBytes { CRC32.checksum(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }, zlib, "\(n) bytes")
        }
    }

    func testRoundTrip() throws {
        let bytes = sample.encode()
        XCTAssertEqual(bytes.count, sample.encodedSize)
        XCTAssertEqual(Array(bytes[0..<4]), Array("TRLS".utf8))
        XCTAssertEqual(try Frame.decode(bytes, maxBodyBytes: 1 << 20), sample)
        let empty = Frame(kind: 0)
        XCTAssertEqual(try Frame.decode(empty.encode(), maxBodyBytes: 0), empty)
    }

    /// `check` finds the parts where `decode` copies them from, without copying.
    func testCheckLocatesTheHeaderAndBodyDecodeCopies() throws {
        let frame = Frame(kind: 3, flags: 1, header: Array(0..<40), body: Array(100..<107))
        let bytes = frame.encode()
        let layout = try Frame.check(bytes, maxBodyBytes: 1 << 10)
        XCTAssertEqual([layout.kind, layout.flags], [3, 1])
        XCTAssertEqual(Array(bytes[layout.header]), frame.header)
        XCTAssertEqual(Array(bytes[layout.body]), frame.body)
        var flipped = bytes
        flipped[Frame.prefixSize + 5] ^= 1
        XCTAssertThrowsError(try Frame.check(flipped, maxBodyBytes: 1 << 10))
    }

    func testTruncatedAtEveryOffsetThrows() {
        let bytes = sample.encode()
        for n in 0..<bytes.count {
            XCTAssertThrowsError(try Frame.decode(Array(bytes[0..<n]), maxBodyBytes: 1 << 20), "prefix of \(n) bytes")
        }
        XCTAssertThrowsError(try Frame.decode(bytes + [0], maxBodyBytes: 1 << 20)) {
            XCTAssertEqual(($0 as? WireError)?.kind, .trailingBytes)
        }
    }

    func testBadMagicVersionAndCRC() {
        var bytes = sample.encode()
        bytes[0] = UInt8(ascii: "X")
        XCTAssertThrowsError(try Frame.decode(bytes, maxBodyBytes: 1 << 20)) { XCTAssertEqual(($0 as? WireError)?.field, "frame.magic") }

        bytes = sample.encode()
        bytes[4] = 7
        XCTAssertThrowsError(try Frame.decode(bytes, maxBodyBytes: 1 << 20)) {
            XCTAssertEqual("\($0)", "frame.version: expected 2, found 7")
        }

        bytes = sample.encode()
        bytes[30] ^= 0x10
        XCTAssertThrowsError(try Frame.decode(bytes, maxBodyBytes: 1 << 20)) { XCTAssertEqual(($0 as? WireError)?.kind, .checksum) }

        // The checksum covers the prefix too: a flipped kind bit is caught.
        bytes = sample.encode()
        bytes[6] ^= 1
        XCTAssertThrowsError(try Frame.decode(bytes, maxBodyBytes: 1 << 20)) { XCTAssertEqual(($0 as? WireError)?.kind, .checksum) }
    }

    func testLengthClaimingFourGigabytesIsRejected() {
        var bytes = sample.encode()
        for i in 14..<18 { bytes[i] = 0xFF }
        XCTAssertThrowsError(try Frame.decode(bytes, maxBodyBytes: 1 << 20)) {
            XCTAssertEqual(($0 as? WireError)?.field, "frame.bodyLength")
        }
        // Even a generous limit does not trust the length: the total must match exactly.
        XCTAssertThrowsError(try Frame.decode(bytes, maxBodyBytes: Int.max)) {
            XCTAssertEqual(($0 as? WireError)?.kind, .truncated)
        }
        bytes = sample.encode()
        for i in 10..<14 { bytes[i] = 0xFF }
        XCTAssertThrowsError(try Frame.decode(bytes, maxBodyBytes: 1 << 20)) {
            XCTAssertEqual(($0 as? WireError)?.field, "frame.headerLength")
        }
    }

    func testRandomGarbageNeverTraps() {
        var g = SeededGenerator(seed: 11)
        let valid = sample.encode()
        for _ in 0..<2000 {
            var bytes = valid
            for _ in 0..<(1 + g.int(4)) { bytes[g.int(bytes.count)] = UInt8(truncatingIfNeeded: g.next()) }
            _ = try? Frame.decode(bytes, maxBodyBytes: 1 << 20)
            _ = try? Frame.decode(g.bytes(g.int(64)), maxBodyBytes: 1 << 20)
        }
    }
}
