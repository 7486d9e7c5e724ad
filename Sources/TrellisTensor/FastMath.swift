/// Branch-free exp and tanh for the Transformer's element-wise kernels (GELU over every
/// feed-forward activation, softmax over every item's logit), where libm's calls cost more
/// than the matrix products around them; written without calls so loops over them vectorise.
public enum FastMath {
    /// e^x within 2 ulp for x in [-87, 88] (clamped outside): x = k·ln2 + r, |r| <= ln2/2,
    /// e^r by its Taylor series to r⁶ (truncation r⁷/7! < 1.3e-7 relative), times 2^k built in
    /// the exponent bits. k is rounded by adding 1.5·2²³ (the sum's low bits hold it), which
    /// needs no rounding instruction or range-checked conversion, so loops vectorise on SSE2.
    @inlinable @inline(__always)
    public static func exp(_ x: Float) -> Float {
        let x = Swift.min(Swift.max(x, -87), 88)
        let shifted = x * 1.442_695_04 + 12_582_912        // 1.5·2²³ + round(x / ln2)
        let k = shifted - 12_582_912
        let r = (x - k * 0.693_145_75) - k * 1.428_606_8e-6   // ln2 split in two so k·ln2 stays exact
        let p = 1 + r * (1 + r * (0.5 + r * (1.0 / 6 + r * (1.0 / 24 + r * (1.0 / 120 + r * (1.0 / 720))))))
        return p * Float(bitPattern: ((shifted.bitPattern &- 0x4B40_0000) &+ 127) &<< 23)
    }

    /// The largest of `n` floats (n >= 1), eight lanes at a time.
    @inlinable
    public static func max(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
        var lanes = SIMD8<Float>(repeating: -.infinity), j = 0
        while j + 8 <= n {
            // `replacing(with:where:)` inlines to a vector max; the stdlib's `pointwiseMax` stayed a call.
            let x = UnsafeRawPointer(p + j).loadUnaligned(as: SIMD8<Float>.self)
            lanes = lanes.replacing(with: x, where: x .> lanes)
            j += 8
        }
        var m = lanes.max()
        while j < n { m = Swift.max(m, p[j]); j += 1 }
        return m
    }

    /// The sum of `n` floats, eight lanes at a time (a fixed order: the same on every run).
    @inlinable
    public static func sum(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
        var lanes = SIMD8<Float>(repeating: 0), j = 0
        while j + 8 <= n {
            lanes += UnsafeRawPointer(p + j).loadUnaligned(as: SIMD8<Float>.self)
            j += 8
        }
        var s = lanes.sum()
        while j < n { s += p[j]; j += 1 }
        return s
    }

    /// The sum of squares of `values`: blocks of 16,384 (each over eight lanes) on the compute
    /// threads, their sums added in block order, so the result does not depend on the thread
    /// count. A whole-table gradient's norm (39 M values at seed 003's setting) was a serial
    /// scalar loop, each add waiting for the last.
    public static func squaredSum(_ values: [Float]) -> Float {
        let block = 16_384, blocks = (values.count + block - 1) / block
        guard blocks > 0 else { return 0 }
        var partial = [Float](repeating: 0, count: blocks)
        values.withUnsafeBufferPointer { pv in partial.withUnsafeMutableBufferPointer { pp in
            let (v, out) = (pv.baseAddress!, pp.baseAddress!)
            Parallel.forEachChunk(blocks, minimumChunk: 16) { range in
                for b in range {
                    let start = b * block, n = Swift.min(block, values.count - start)
                    var lanes = SIMD8<Float>(repeating: 0), j = 0
                    while j + 8 <= n {
                        let x = UnsafeRawPointer(v + start + j).loadUnaligned(as: SIMD8<Float>.self)
                        lanes += x * x
                        j += 8
                    }
                    var s = lanes.sum()
                    while j < n { s += v[start + j] * v[start + j]; j += 1 }
                    out[b] = s
                }
            }
        } }
        return partial.reduce(0, +)
    }

    /// tanh(x) = (e^2x − 1) / (e^2x + 1), within 1e-7 absolute; ±1 beyond |x| = 9.
    @inlinable @inline(__always)
    public static func tanh(_ x: Float) -> Float {
        let e = exp(2 * Swift.min(Swift.max(x, -9), 9))
        return (e - 1) / (e + 1)
    }
}
