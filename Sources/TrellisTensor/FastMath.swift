import CKernels

/// Branch-free exp and vector reductions for the Transformer's element-wise kernels (GELU over every
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

    /// out[j] = e^(x[j] − max x) over n floats (n >= 1; `out` may be `x`), returning the max
    /// and the sum of the outs: a softmax's numerators and denominator. `trellis_exponentiate`
    /// (CKernels: 16 lanes where the CPU has them; `exp` above, element for element).
    @inlinable @inline(__always)
    public static func exponentiate(_ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, _ n: Int) -> (max: Float, sum: Float) {
        var top: Float = 0
        let sum = trellis_exponentiate(x, out, n, &top)
        return (top, sum)
    }

    /// out[j] += the sum over rows r of x[r, j] (times y[r, j] when `y` is given), for a
    /// (rows, width) matrix: sixteen columns at a time in one vector register, each column's
    /// rows added in row order, so a sum is the scalar loop's bit for bit; column groups split
    /// over the compute threads. The bias and layer-norm gradients: a scalar loop through
    /// `out` kept every partial sum in memory.
    public static func addColumns(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>?, rows: Int, width: Int,
                                  into out: UnsafeMutablePointer<Float>) {
        let groups = (width + 15) / 16
        Parallel.forEachChunk(groups, minimumChunk: Swift.max(1, 16_384 / Swift.max(1, 16 * rows))) { range in
            for group in range {
                let first = group * 16
                if first + 16 <= width {
                    var lanes = UnsafeRawPointer(out + first).loadUnaligned(as: SIMD16<Float>.self)
                    if let y {
                        for r in 0..<rows {
                            let offset = r * width + first
                            lanes += UnsafeRawPointer(x + offset).loadUnaligned(as: SIMD16<Float>.self)
                                * UnsafeRawPointer(y + offset).loadUnaligned(as: SIMD16<Float>.self)
                        }
                    } else {
                        for r in 0..<rows { lanes += UnsafeRawPointer(x + r * width + first).loadUnaligned(as: SIMD16<Float>.self) }
                    }
                    UnsafeMutableRawPointer(out + first).storeBytes(of: lanes, as: SIMD16<Float>.self)
                } else {
                    for j in first..<width {
                        var sum = out[j]
                        for r in 0..<rows { sum += y.map { x[r * width + j] * $0[r * width + j] } ?? x[r * width + j] }
                        out[j] = sum
                    }
                }
            }
        }
    }
}
