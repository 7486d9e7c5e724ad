import XCTest
import TrellisCore
import TrellisWire

final class HalfPrecisionTests: XCTestCase {
    func testFP16KnownBitPatterns() {
        XCTAssertEqual(HalfPrecision.fp16Bits(1.0), 0x3C00)
        XCTAssertEqual(HalfPrecision.fp16Bits(-2.0), 0xC000)
        XCTAssertEqual(HalfPrecision.fp16Bits(65504), 0x7BFF)
        XCTAssertEqual(HalfPrecision.fp16Bits(0.1), 0x2E66)
        XCTAssertEqual(HalfPrecision.fp16Bits(0.0), 0x0000)
        XCTAssertEqual(HalfPrecision.fp16Bits(-0.0), 0x8000)
        XCTAssertEqual(HalfPrecision.fp16Bits(.infinity), 0x7C00)
        XCTAssertEqual(HalfPrecision.fp16Bits(-.infinity), 0xFC00)
        XCTAssertEqual(HalfPrecision.fp16Bits(6.1035156e-5), 0x0400, "smallest normal")
    }

    func testFP16OverflowAndRounding() {
        XCTAssertEqual(HalfPrecision.fp16Bits(65519), 0x7BFF, "just below the rounding midpoint")
        XCTAssertEqual(HalfPrecision.fp16Bits(65520), 0x7C00, "the midpoint rounds to even: infinity")
        XCTAssertEqual(HalfPrecision.fp16Bits(1e6), 0x7C00)
        // 1 + 2^-11 is halfway between 1 and 1 + 2^-10: ties to even gives 1.
        XCTAssertEqual(HalfPrecision.fp16Bits(1 + 0x1p-11), 0x3C00)
        // 1 + 3 * 2^-11 is halfway between odd 0x3C01 and even 0x3C02.
        XCTAssertEqual(HalfPrecision.fp16Bits(1 + 3 * 0x1p-11), 0x3C02)
        XCTAssertEqual(HalfPrecision.fp16Bits(1 + 0x1p-11 + 0x1p-20), 0x3C01, "above the tie rounds up")
    }

    func testFP16Subnormals() {
        XCTAssertEqual(HalfPrecision.fp16Bits(1e-8), 0x0000, "below half the smallest subnormal")
        XCTAssertEqual(HalfPrecision.fp16Bits(-1e-8), 0x8000)
        XCTAssertEqual(HalfPrecision.fp16Bits(0x1p-24), 0x0001, "smallest subnormal")
        XCTAssertEqual(HalfPrecision.fp16Bits(0x1p-25), 0x0000, "tie between 0 and 2^-24 goes to even 0")
        XCTAssertEqual(HalfPrecision.fp16Bits(0x1.8p-24), 0x0002, "tie between 1 and 2 ulps goes to even 2")
        XCTAssertEqual(HalfPrecision.fp16Bits(6e-8), 0x0001)
        XCTAssertEqual(HalfPrecision.fp16Bits(1e-5), 0x00A8)
        XCTAssertEqual(HalfPrecision.float(fp16: 0x0001), 0x1p-24)
        XCTAssertEqual(HalfPrecision.float(fp16: 0x03FF), 1023 * 0x1p-24)
        XCTAssertEqual(HalfPrecision.fp16Bits(0x1.ffcp-15), 0x0400, "rounds up out of the subnormals")
    }

    func testFP16NaN() {
        XCTAssertTrue(HalfPrecision.float(fp16: HalfPrecision.fp16Bits(.nan)).isNaN)
        XCTAssertTrue(HalfPrecision.float(fp16: 0x7C01).isNaN)
        // A NaN whose payload sits only in the low bits must not become infinity.
        XCTAssertTrue(HalfPrecision.float(fp16: HalfPrecision.fp16Bits(Float(bitPattern: 0x7F80_0001))).isNaN)
        XCTAssertEqual(HalfPrecision.float(fp16: 0x7C00), .infinity)
    }

    func testFP16EveryPatternRoundTrips() {
        for bits in 0...UInt16.max {
            let f = HalfPrecision.float(fp16: bits)
            if f.isNaN { continue }
            XCTAssertEqual(HalfPrecision.fp16Bits(f), bits)
        }
    }

    func testBF16() {
        XCTAssertEqual(HalfPrecision.bf16Bits(1.0), 0x3F80)
        XCTAssertEqual(HalfPrecision.bf16Bits(1.00390625), 0x3F80, "1 + 2^-8 is a tie: to even")
        XCTAssertEqual(HalfPrecision.bf16Bits(1.01171875), 0x3F82, "1 + 3 * 2^-8 is a tie: to even")
        XCTAssertEqual(HalfPrecision.bf16Bits(1.0078125), 0x3F81, "exactly representable")
        XCTAssertEqual(HalfPrecision.bf16Bits(-.infinity), 0xFF80)
        XCTAssertEqual(HalfPrecision.bf16Bits(.greatestFiniteMagnitude), 0x7F80, "rounds up to infinity")
        XCTAssertTrue(HalfPrecision.float(bf16: HalfPrecision.bf16Bits(.nan)).isNaN)
        XCTAssertTrue(HalfPrecision.float(bf16: HalfPrecision.bf16Bits(Float(bitPattern: 0x7F80_0001))).isNaN)
        XCTAssertEqual(HalfPrecision.float(bf16: 0x3F80), 1.0)
    }

    func testBulkConversions() {
        let values: [Float] = [0, 1, -1.5, 0.1, 3e-5, 1000]
        let back16 = HalfPrecision.floats(fp16: HalfPrecision.fp16(values))
        let backBF = HalfPrecision.floats(bf16: HalfPrecision.bf16(values))
        for (v, (a, b)) in zip(values, zip(back16, backBF)) {
            XCTAssertEqual(a, v, accuracy: abs(v) * 0x1p-11 + 0x1p-25)
            XCTAssertEqual(b, v, accuracy: abs(v) * 0x1p-8)
        }
        XCTAssertEqual(HalfPrecision.fp16([]), [])
    }

    /// The bulk path (F16C where the CPU has it) gives exactly the scalar routines' bits:
    /// every fp16 pattern decoded, and floats of every exponent with the mantissa endings
    /// that decide rounding (ties, just above and below), NaN payloads and random bits
    /// encoded, at lengths that leave every tail size.
    func testBulkMatchesScalarBitForBit() {
        let every = (0...UInt16.max).map { $0 }
        let decoded = HalfPrecision.floats(fp16: every)
        for (bits, f) in zip(every, decoded) {
            XCTAssertEqual(f.bitPattern, HalfPrecision.float(fp16: bits).bitPattern, "fp16 0x\(String(bits, radix: 16))")
        }
        var patterns: [UInt32] = []
        let endings: [UInt32] = [0, 1, 0xFFF, 0x1000, 0x1001, 0x1FFF, 0x2000, 0x3000, 0x3001, 0x7F_F000, 0x7F_FFFF, 0x40_0000, 0x40_1000]
        for sign: UInt32 in [0, 0x8000_0000] {
            for exponent: UInt32 in 0...255 {
                for ending in endings { patterns.append(sign | exponent << 23 | ending) }
            }
        }
        var rng = SeededGenerator(seed: 7)
        for _ in 0..<200_000 { patterns.append(UInt32.random(in: 0...UInt32.max, using: &rng)) }
        for length in [patterns.count, 1, 7, 8, 9, 15] {
            let floats = patterns.prefix(length).map { Float(bitPattern: $0) }
            let bulk = HalfPrecision.fp16(floats)
            for (f, h) in zip(floats, bulk) {
                XCTAssertEqual(h, HalfPrecision.fp16Bits(f), "float 0x\(String(f.bitPattern, radix: 16))")
            }
        }
    }
}
