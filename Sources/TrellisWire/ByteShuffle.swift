/// Blosc-style byte shuffling: byte k of every element is stored together.
///
/// Floats of similar magnitude share sign and exponent bytes; grouping those bytes turns
/// them into long runs that LZ4 compresses well, while the noisy low mantissa bytes stay
/// apart. With n = count / elementSize whole elements, output byte `k * n + i` is input byte
/// `i * elementSize + k`; trailing bytes that do not fill an element are copied at the end.
public enum ByteShuffle {
    /// `bytes` with byte k of every `elementSize`-byte element grouped together.
    public static func shuffle(_ bytes: [UInt8], elementSize: Int) -> [UInt8] {
        transpose(bytes, elementSize: elementSize, inverse: false)
    }

    /// The inverse of `shuffle`: `unshuffle(shuffle(b, e), e) == b` for any `b` and `e`.
    public static func unshuffle(_ bytes: [UInt8], elementSize: Int) -> [UInt8] {
        transpose(bytes, elementSize: elementSize, inverse: true)
    }

    // MARK: Internals

    private static func transpose(_ bytes: [UInt8], elementSize: Int, inverse: Bool) -> [UInt8] {
        precondition(elementSize > 0, "ByteShuffle: element size must be positive")
        let n = bytes.count / elementSize
        guard elementSize > 1, n > 1 else { return bytes }
        let body = n * elementSize
        return [UInt8](unsafeUninitializedCapacity: bytes.count) { out, initialised in
            bytes.withUnsafeBufferPointer { src in
                let s = src.baseAddress!, d = out.baseAddress!
                // Element-major <-> byte-plane-major is a transpose of an (n, elementSize)
                // matrix; only the stride pattern differs between the two directions.
                for k in 0..<elementSize {
                    let plane = k * n
                    if inverse {
                        for i in 0..<n { d[i * elementSize + k] = s[plane + i] }
                    } else {
                        for i in 0..<n { d[plane + i] = s[i * elementSize + k] }
                    }
                }
                if body < bytes.count {
                    (d + body).update(from: s + body, count: bytes.count - body)
                }
            }
            initialised = bytes.count
        }
    }
}
