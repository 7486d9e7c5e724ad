#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Measures `TensorCodec` on caller-supplied blocks (real gradients, ideally): size, speed
/// and, for the 16-bit encodings, the worst rounding error.
public enum CodecBenchmark {
    /// One options setting measured over all blocks.
    public struct Result: Sendable, Equatable {
        /// The settings measured.
        public var options: CodecOptions
        /// Bytes of all blocks as float32.
        public var rawBytes: Int
        /// Bytes of all blocks encoded, headers included.
        public var encodedBytes: Int
        /// Raw MB (10^6 bytes) encoded per second, median over the repeats.
        public var encodeMBPerSecond: Double
        /// Raw MB (10^6 bytes) decoded per second, median over the repeats.
        public var decodeMBPerSecond: Double
        /// Largest |decoded - original| over all values (0 for float32; NaN pairs ignored).
        public var maxAbsError: Float

        /// rawBytes / encodedBytes.
        public var ratio: Double { encodedBytes == 0 ? 1 : Double(rawBytes) / Double(encodedBytes) }
    }

    /// Encodes and decodes every block under each of `options`, `repeats` times, and reports
    /// the median throughput. Blocks are whatever the caller wants measured.
    public static func run(blocks: [[Float]], options: [CodecOptions] = CodecOptions.allCombinations,
                           repeats: Int = 5) -> [Result] {
        precondition(repeats > 0, "CodecBenchmark: repeats must be positive")
        let rawBytes = blocks.reduce(0) { $0 + $1.count * 4 }
        return options.map { option in
            var encoded: [[UInt8]] = []
            var decoded: [[Float]] = []
            var encodeTimes: [Double] = [], decodeTimes: [Double] = []
            for _ in 0..<repeats {
                let t0 = monotonicSeconds()
                encoded = blocks.map { TensorCodec.encode($0, options: option) }
                let t1 = monotonicSeconds()
                decoded = zip(encoded, blocks).map { bytes, block in
                    // The bytes were encoded just above; failing to decode them is a codec bug.
                    do { return try TensorCodec.decode(bytes, expectedCount: block.count) } catch {
                        preconditionFailure("CodecBenchmark: own encoding failed to decode: \(error)")
                    }
                }
                let t2 = monotonicSeconds()
                encodeTimes.append(t1 - t0)
                decodeTimes.append(t2 - t1)
            }
            var maxError: Float = 0
            for (original, back) in zip(blocks, decoded) {
                for (a, b) in zip(original, back) where !a.isNaN && !b.isNaN && a.isFinite {
                    maxError = max(maxError, abs(a - b))
                }
            }
            let megabytes = Double(rawBytes) / 1e6
            return Result(options: option, rawBytes: rawBytes, encodedBytes: encoded.reduce(0) { $0 + $1.count },
                          encodeMBPerSecond: megabytes / max(median(encodeTimes), 1e-9),
                          decodeMBPerSecond: megabytes / max(median(decodeTimes), 1e-9),
                          maxAbsError: maxError)
        }
    }

    /// A plain-text table of `results`, one line per options setting.
    public static func table(_ results: [Result]) -> String {
        var lines = ["options              raw B    encoded B   ratio   enc MB/s   dec MB/s   max abs err"]
        for r in results {
            lines.append(pad(r.options.description, 18) + pad("\(r.rawBytes)", 10, left: true)
                         + pad("\(r.encodedBytes)", 13, left: true) + pad(fixed(r.ratio, 2), 8, left: true)
                         + pad(fixed(r.encodeMBPerSecond, 0), 11, left: true) + pad(fixed(r.decodeMBPerSecond, 0), 11, left: true)
                         + "   \(r.maxAbsError)")
        }
        return lines.joined(separator: "\n")
    }

    // MARK: Internals

    /// Seconds on the monotonic clock (never jumps with wall-clock changes).
    static func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    private static func median(_ xs: [Double]) -> Double {
        let s = xs.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    private static func fixed(_ x: Double, _ digits: Int) -> String {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let text = "\((x * scale).rounded() / scale)"
        return digits == 0 ? String(text.prefix { $0 != "." }) : text
    }

    private static func pad(_ s: String, _ width: Int, left: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - s.count))
        return left ? fill + s : s + fill
    }
}
