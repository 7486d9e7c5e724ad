import XCTest
import TrellisWire
import TrellisCore

final class CodecTests: XCTestCase {
    // MARK: Building blocks

    func testByteShuffleIsExactInverse() {
        var g = SeededGenerator(seed: 5)
        for size in [0, 1, 2, 3, 4, 5, 7, 8, 9, 63, 64, 65, 1001] {
            let bytes = g.bytes(size)
            for element in [1, 2, 3, 4, 8] {
                let shuffled = ByteShuffle.shuffle(bytes, elementSize: element)
                XCTAssertEqual(shuffled.count, size)
                XCTAssertEqual(ByteShuffle.unshuffle(shuffled, elementSize: element), bytes, "size \(size) element \(element)")
            }
        }
        // Byte k of every element grouped; the trailing byte copied as is.
        XCTAssertEqual(ByteShuffle.shuffle([1, 2, 3, 4, 5, 6, 7, 8, 9], elementSize: 4), [1, 5, 2, 6, 3, 7, 4, 8, 9])
    }

    func testLZ4RoundTripAndSizeChecks() throws {
        let text = Array(String(repeating: "trellis gradient ", count: 100).utf8)
        let compressed = LZ4.compress(text)
        XCTAssertLessThan(compressed.count, text.count / 5)
        XCTAssertEqual(try LZ4.decompress(compressed, originalSize: text.count, maxSize: text.count), text)
        XCTAssertThrowsError(try LZ4.decompress(compressed, originalSize: text.count, maxSize: text.count - 1))
        XCTAssertThrowsError(try LZ4.decompress(compressed, originalSize: text.count - 1, maxSize: 1 << 20))
        XCTAssertThrowsError(try LZ4.decompress(compressed, originalSize: text.count + 1, maxSize: 1 << 20))
        XCTAssertThrowsError(try LZ4.decompress(compressed, originalSize: -1, maxSize: 1 << 20))
        XCTAssertEqual(try LZ4.decompress(LZ4.compress([]), originalSize: 0, maxSize: 0), [])
    }

    func testLZ4GarbageThrows() {
        var g = SeededGenerator(seed: 8)
        XCTAssertThrowsError(try LZ4.decompress([], originalSize: 10, maxSize: 10))
        for _ in 0..<500 {
            let junk = g.bytes(1 + g.int(100))
            _ = try? LZ4.decompress(junk, originalSize: g.int(300), maxSize: 300)
        }
        XCTAssertThrowsError(try LZ4.decompress([0xF0, 0xFF, 0xFF, 0xFF], originalSize: 100, maxSize: 100))
    }

    // MARK: TensorCodec

    func testEveryCombinationRoundTrips() throws {
        var g = SeededGenerator(seed: 1)
        let values = g.gradient(5000)
        for options in CodecOptions.allCombinations {
            let bytes = TensorCodec.encode(values, options: options)
            let back = try TensorCodec.decode(bytes, expectedCount: values.count)
            XCTAssertEqual(back.count, values.count)
            switch options.encoding {
            case .float32:
                XCTAssertEqual(back, values, "\(options)")
            case .float16:
                for (a, b) in zip(values, back) { XCTAssertEqual(b, HalfPrecision.float(fp16: HalfPrecision.fp16Bits(a))) }
            case .bfloat16:
                for (a, b) in zip(values, back) { XCTAssertEqual(b, HalfPrecision.float(bf16: HalfPrecision.bf16Bits(a))) }
            }
        }
    }

    func testShuffleHelpsAndIncompressibleDataIsStoredRaw() throws {
        var g = SeededGenerator(seed: 2)
        // Quantised gradients (few distinct mantissas) are what shuffling pays off on.
        let values = (0..<4096).map { _ in Float(g.int(64) - 32) * 0x1p-12 }
        let plain = TensorCodec.encode(values, options: CodecOptions(shuffle: false, lz4: true))
        let shuffled = TensorCodec.encode(values, options: CodecOptions(shuffle: true, lz4: true))
        XCTAssertLessThan(shuffled.count, plain.count)
        XCTAssertLessThan(shuffled.count, values.count * 4 / 2)

        let noise = (0..<1000).map { _ in Float(bitPattern: UInt32(truncatingIfNeeded: g.next()) & 0xBFFF_FFFF) }
        let stored = TensorCodec.encode(noise, options: CodecOptions(shuffle: false, lz4: true))
        XCTAssertEqual(stored[5] & TensorCodec.lz4Flag, 0, "LZ4 that does not shrink is not used")
        XCTAssertEqual(stored.count, TensorCodec.headerSize + 4000)
        XCTAssertEqual(try TensorCodec.decode(stored, expectedCount: 1000).map(\.bitPattern), noise.map(\.bitPattern))
    }

    func testEmptyAndSingleValueBlocks() throws {
        for options in CodecOptions.allCombinations {
            XCTAssertEqual(try TensorCodec.decode(TensorCodec.encode([], options: options), expectedCount: 0), [])
            XCTAssertEqual(try TensorCodec.decode(TensorCodec.encode([0.5], options: options), maxCount: 4), [0.5])
        }
    }

    func testStatsReportSizes() {
        var w = ByteWriter()
        let stats = TensorCodec.encode([Float](repeating: 0, count: 1000), into: &w)
        XCTAssertEqual(stats.rawBytes, 4000)
        XCTAssertEqual(stats.encodedBytes, w.count)
        XCTAssertGreaterThan(stats.ratio, 10)
    }

    func testTensorDecodeChecksCounts() {
        let bytes = TensorCodec.encode([1, 2, 3])
        XCTAssertThrowsError(try TensorCodec.decode(bytes, expectedCount: 4)) { XCTAssertEqual(($0 as? WireError)?.field, "tensor.count") }
        XCTAssertThrowsError(try TensorCodec.decode(bytes, maxCount: 2))
        var bad = bytes
        bad[4] = 9
        XCTAssertThrowsError(try TensorCodec.decode(bad, expectedCount: 3)) { XCTAssertEqual(($0 as? WireError)?.field, "tensor.encoding") }
        bad = bytes
        bad[5] |= 0x80
        XCTAssertThrowsError(try TensorCodec.decode(bad, expectedCount: 3)) { XCTAssertEqual(($0 as? WireError)?.field, "tensor.flags") }
        // A count of 2^32 - 1 with a tiny payload fails on the limit, before allocating.
        bad = bytes
        for i in 0..<4 { bad[i] = 0xFF }
        XCTAssertThrowsError(try TensorCodec.decode(bad, maxCount: 1 << 20))
        XCTAssertThrowsError(try TensorCodec.decode(bad, maxCount: Int.max))
    }

    // MARK: RowBlockCodec

    func testRowsRoundTripAscendingAndUnordered() throws {
        var g = SeededGenerator(seed: 4)
        let dimension = 16, rowLimit = 943
        var ascending = Array(Set((0..<200).map { _ in Int32(g.int(rowLimit)) })).sorted()
        ascending[0] = 0
        let unordered: [Int32] = (0..<150).map { _ in Int32(g.int(rowLimit)) }
        for ids in [ascending, unordered, [], [942], [5, 5, 6]] {
            let values = g.gradient(ids.count * dimension)
            for options in CodecOptions.allCombinations {
                let bytes = RowBlockCodec.encode(rowIDs: ids, values: values, dimension: dimension, options: options)
                let block = try RowBlockCodec.decode(bytes, dimension: dimension, rowLimit: rowLimit)
                XCTAssertEqual(block.rowIDs, ids)
                XCTAssertEqual(block.dimension, dimension)
                if options.encoding == .float32 { XCTAssertEqual(block.values, values) }
                else { XCTAssertEqual(block.values.count, values.count) }
            }
        }
    }

    func testAscendingIDsAreCompact() {
        let ids = (0..<1000).map { Int32($0 * 3) }
        var w = ByteWriter()
        let stats = RowBlockCodec.encode(rowIDs: ids, values: [Float](repeating: 0, count: 1000), dimension: 1,
                                         options: CodecOptions(lz4: false), into: &w)
        XCTAssertLessThan(w.count, 1000 + 4000 + 40, "one varint byte per id")
        XCTAssertEqual(stats.rawBytes, 8000)
    }

    func testRowIDOutOfRangeAndDimensionMismatch() {
        let bytes = RowBlockCodec.encode(rowIDs: [1, 2, 3, 5000], values: [Float](repeating: 1, count: 8), dimension: 2)
        XCTAssertThrowsError(try RowBlockCodec.decode(bytes, dimension: 2, rowLimit: 943)) {
            XCTAssertEqual("\($0)", "rows.ids[3]: row id 5000 out of range 0..<943")
        }
        XCTAssertNoThrow(try RowBlockCodec.decode(bytes, dimension: 2, rowLimit: 5001))
        XCTAssertThrowsError(try RowBlockCodec.decode(bytes, dimension: 4, rowLimit: 5001)) {
            XCTAssertEqual("\($0)", "rows.dimension: expected 4, found 2")
        }
        let negative = RowBlockCodec.encode(rowIDs: [3, -1], values: [0, 0], dimension: 1)
        XCTAssertThrowsError(try RowBlockCodec.decode(negative, dimension: 1, rowLimit: 10)) {
            XCTAssertEqual(($0 as? WireError)?.field, "rows.ids[1]")
        }
        XCTAssertThrowsError(try RowBlockCodec.decode(bytes, dimension: 2, rowLimit: 5001, maxRows: 3)) {
            XCTAssertEqual(($0 as? WireError)?.field, "rows.count")
        }
    }

    func testAShuffleWithoutLZ4SendsTheRawBytes() {
        var g = SeededGenerator(seed: 10)
        let values = g.gradient(300)
        let raw = TensorCodec.encode(values, options: CodecOptions(shuffle: false, lz4: false))
        XCTAssert(TensorCodec.encode(values, options: CodecOptions(shuffle: true, lz4: false)) == raw, "a shuffle without LZ4 changed the bytes")
        XCTAssertEqual(try TensorCodec.decode(raw, maxCount: 300), values)
    }

    func testRowValueCountMustMatchShape() {
        // Hand-build a block whose value tensor holds one value too few.
        var w = ByteWriter()
        w.u32(2); w.u32(3); w.u8(0); w.u32(2); w.u32(2); w.varuint(0); w.varuint(1)
        TensorCodec.encode([1, 2, 3, 4, 5], options: CodecOptions(shuffle: false, lz4: false), into: &w)
        XCTAssertThrowsError(try RowBlockCodec.decode(w.bytes, dimension: 3, rowLimit: 10)) {
            XCTAssertEqual("\($0)", "rows.values.count: expected 6, found 5")
        }
    }

    // MARK: Malformed input

    func testTruncatedCodecInputsThrowAtEveryOffset() {
        var g = SeededGenerator(seed: 6)
        let values = g.gradient(64)
        let tensor = TensorCodec.encode(values)
        for n in 0..<tensor.count {
            XCTAssertThrowsError(try TensorCodec.decode(Array(tensor[0..<n]), expectedCount: 64), "prefix \(n)")
        }
        let rows = RowBlockCodec.encode(rowIDs: [1, 4, 9, 16], values: values, dimension: 16)
        for n in 0..<rows.count {
            XCTAssertThrowsError(try RowBlockCodec.decode(Array(rows[0..<n]), dimension: 16, rowLimit: 100), "prefix \(n)")
        }
    }

    func testMutatedCodecInputsNeverTrap() {
        var g = SeededGenerator(seed: 7)
        let values = g.gradient(256)
        let samples = CodecOptions.allCombinations.flatMap { options in
            [TensorCodec.encode(values, options: options),
             RowBlockCodec.encode(rowIDs: (0..<16).map { Int32($0 * 7) }, values: values, dimension: 16, options: options),
             RowBlockCodec.encode(rowIDs: (0..<16).map { Int32(100 - $0 * 5) }, values: values, dimension: 16, options: options)]
        }
        for _ in 0..<3000 {
            var bytes = samples[g.int(samples.count)]
            for _ in 0..<(1 + g.int(3)) { bytes[g.int(bytes.count)] = UInt8(truncatingIfNeeded: g.next()) }
            _ = try? TensorCodec.decode(bytes, maxCount: 1 << 16)
            _ = try? RowBlockCodec.decode(bytes, dimension: 16, rowLimit: 200, maxRows: 1 << 16)
        }
    }

    // MARK: Benchmark

    func testBenchmarkReportsEveryOption() {
        var g = SeededGenerator(seed: 9)
        let blocks = [g.gradient(4096), g.gradient(1000)]
        let results = CodecBenchmark.run(blocks: blocks, repeats: 3)
        XCTAssertEqual(results.count, CodecOptions.allCombinations.count)
        for r in results {
            XCTAssertEqual(r.rawBytes, 5096 * 4)
            XCTAssertGreaterThan(r.encodeMBPerSecond, 0)
            XCTAssertGreaterThan(r.decodeMBPerSecond, 0)
            if r.options.encoding == .float32 { XCTAssertEqual(r.maxAbsError, 0) }
            else { XCTAssertGreaterThan(r.maxAbsError, 0); XCTAssertLessThan(r.maxAbsError, 1e-4) }
            if r.options.encoding != .float32 { XCTAssertGreaterThan(r.ratio, 1.5) }
        }
        XCTAssertTrue(CodecBenchmark.table(results).contains("f16+shuffle+lz4"))
    }
}
