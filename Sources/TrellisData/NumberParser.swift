#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Parses decimal numbers straight from bytes.
///
/// Ratings and timestamps are nearly always short decimals (`4`, `3.5`, `881250949`); those
/// take an exact fast path (a mantissa below 2^53 divided by an exactly representable power
/// of ten rounds correctly). Anything else falls back to `strtod` on a NUL-terminated copy.
enum NumberParser {
    private static let powersOfTen: [Double] = (0...22).map { exponent in
        var value = 1.0
        for _ in 0..<exponent { value *= 10 }
        return value
    }

    /// The finite number spelled by `bytes` (surrounding spaces allowed), or nil.
    static func parseDouble(_ bytes: UnsafeBufferPointer<UInt8>) -> Double? {
        var lo = 0
        var hi = bytes.count
        while lo < hi && bytes[lo] == 0x20 { lo += 1 }
        while hi > lo && bytes[hi - 1] == 0x20 { hi -= 1 }
        guard lo < hi else { return nil }
        if let value = fastPath(bytes, lo, hi) { return value }
        return slowPath(bytes, lo, hi)
    }

    // MARK: Internals

    @inline(__always)
    private static func fastPath(_ bytes: UnsafeBufferPointer<UInt8>, _ lo: Int, _ hi: Int) -> Double? {
        var i = lo
        var negative = false
        if bytes[i] == 0x2D || bytes[i] == 0x2B {
            negative = bytes[i] == 0x2D
            i += 1
        }
        var mantissa: UInt64 = 0
        var digits = 0
        var fractionDigits = 0
        var sawDot = false
        while i < hi {
            let c = bytes[i]
            if c >= 0x30 && c <= 0x39 {
                digits += 1
                if digits > 15 { return nil }
                mantissa = mantissa * 10 + UInt64(c - 0x30)
                if sawDot { fractionDigits += 1 }
            } else if c == 0x2E && !sawDot {
                sawDot = true
            } else {
                return nil
            }
            i += 1
        }
        guard digits > 0 else { return nil }
        var value = Double(mantissa)
        if fractionDigits > 0 { value /= powersOfTen[fractionDigits] }
        return negative ? -value : value
    }

    private static func slowPath(_ bytes: UnsafeBufferPointer<UInt8>, _ lo: Int, _ hi: Int) -> Double? {
        // strtod would skip leading \t\n\v\f\r; a field starting with them is not a number.
        if bytes[lo] >= 0x09 && bytes[lo] <= 0x0D { return nil }
        var text = [CChar](repeating: 0, count: hi - lo + 1)
        for k in lo..<hi { text[k - lo] = CChar(bitPattern: bytes[k]) }
        return text.withUnsafeBufferPointer { buffer -> Double? in
            guard let start = buffer.baseAddress else { return nil }
            var end: UnsafeMutablePointer<CChar>?
            let value = strtod(start, &end)
            // Reject partial parses ("3abc") and infinities/NaN.
            guard let stop = end, stop - UnsafeMutablePointer(mutating: start) == hi - lo,
                  value.isFinite else { return nil }
            return value
        }
    }
}
