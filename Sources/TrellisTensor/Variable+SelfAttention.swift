import Foundation

/// Causal multi-head self-attention over a batch of left-padded sequences, as one fused op
/// (SASRec's, Kang & McAuley 2018; PyTorch's `scaled_dot_product_attention(is_causal=True)` with
/// a key-padding mask): per sequence b and head h, with Q, K, V the head's columns,
///
///     S = Q Kᵀ / sqrt(dh)                         (L, L), through sgemm on strided heads
///     S[i, j] = -inf where j > i or key j is padding
///     P = softmax over each row (a row with no key left is all zeros)
///     O = P V                                     (L, dh), written into the head's columns
///
/// and the backward pass from the kept P:
///
///     dP = dO Vᵀ,  dV = Pᵀ dO,  dS = P ⊙ (dP − rowsum(dP ⊙ P)),  dQ = dS K / sqrt(dh),  dK = dSᵀ Q / sqrt(dh)
///
/// q, k, v and the result are (B·L, H·dh), row b·L + i holding position i of sequence b; the
/// (sequence, head) pairs run in parallel, each writing only its own block.
extension Variable {
    /// `padding[b·L + j]`: position j of sequence b is padding (never attended to); nil: none.
    /// `weights`, if given, receives P as (B, H, L, L) (the attention heat-map).
    public static func causalSelfAttention(query q: Variable, key k: Variable, value v: Variable,
                                           sequences: Int, length: Int, heads: Int, padding: [Bool]? = nil,
                                           weights: ((Tensor) -> Void)? = nil) -> Variable {
        let rows = sequences * length, width = q.shape.count == 2 ? q.shape[1] : 0
        precondition(q.shape == [rows, width] && k.shape == q.shape && v.shape == q.shape,
                      "causalSelfAttention: q, k, v must be (\(rows), H·dh), got \(q.shape), \(k.shape), \(v.shape)")
        precondition(heads >= 1 && width % heads == 0, "causalSelfAttention: \(width) columns do not split into \(heads) heads")
        precondition(padding == nil || padding!.count == rows, "causalSelfAttention: one padding flag per position")
        let dh = width / heads, L = length, scale = 1 / Float(dh).squareRoot()
        let blocks = sequences * heads
        var probabilities = [Float](repeating: 0, count: blocks * L * L)   // P per (b, h), row-major (L, L)
        var out = [Float](repeating: 0, count: rows * width)
        q.value.data.withUnsafeBufferPointer { qp in k.value.data.withUnsafeBufferPointer { kp in v.value.data.withUnsafeBufferPointer { vp in
            probabilities.withUnsafeMutableBufferPointer { pp in out.withUnsafeMutableBufferPointer { op in
                let (qb, kb, vb, pb, ob) = (qp.baseAddress!, kp.baseAddress!, vp.baseAddress!, pp.baseAddress!, op.baseAddress!)
                Parallel.forEachChunk(blocks, minimumChunk: 1) { range in
                    for block in range {
                        let (b, h) = (block / heads, block % heads)
                        let head = b * L * width + h * dh, p = pb + block * L * L
                        BLAS.gemm(transposeA: false, transposeB: true, m: L, n: L, k: dh, alpha: scale,
                                  a: qb + head, lda: width, b: kb + head, ldb: width, c: p, ldc: L)
                        maskedSoftmax(p, length: L, padding: padding, offset: b * L)
                        BLAS.gemm(transposeA: false, transposeB: false, m: L, n: dh, k: L,
                                  a: p, lda: L, b: vb + head, ldb: width, c: ob + head, ldc: width)
                    }
                }
            } }
        } } }
        weights?(Tensor(shape: [sequences, heads, L, L], data: probabilities))
        return Variable(Tensor(shape: [rows, width], data: out), inputs: [q, k, v]) { g in
            var dq = [Float](repeating: 0, count: rows * width), dk = dq, dv = dq
            var scratch = [Float](repeating: 0, count: blocks * L * L)
            g.data.withUnsafeBufferPointer { gp in q.value.data.withUnsafeBufferPointer { qp in
            k.value.data.withUnsafeBufferPointer { kp in v.value.data.withUnsafeBufferPointer { vp in
            probabilities.withUnsafeBufferPointer { pp in scratch.withUnsafeMutableBufferPointer { sp in
            dq.withUnsafeMutableBufferPointer { dqp in dk.withUnsafeMutableBufferPointer { dkp in dv.withUnsafeMutableBufferPointer { dvp in
                let (gb, qb, kb, vb, pb, sb) = (gp.baseAddress!, qp.baseAddress!, kp.baseAddress!, vp.baseAddress!, pp.baseAddress!, sp.baseAddress!)
                let (dqb, dkb, dvb) = (dqp.baseAddress!, dkp.baseAddress!, dvp.baseAddress!)
                Parallel.forEachChunk(blocks, minimumChunk: 1) { range in
                    for block in range {
                        let head = (block / heads) * L * width + (block % heads) * dh
                        let p = pb + block * L * L, ds = sb + block * L * L
                        // dV = Pᵀ dO; dP = dO Vᵀ (into ds, then turned into dS in place).
                        BLAS.gemm(transposeA: true, transposeB: false, m: L, n: dh, k: L,
                                  a: p, lda: L, b: gb + head, ldb: width, c: dvb + head, ldc: width)
                        BLAS.gemm(transposeA: false, transposeB: true, m: L, n: L, k: dh,
                                  a: gb + head, lda: width, b: vb + head, ldb: width, c: ds, ldc: L)
                        for i in 0..<L {
                            var dot: Float = 0
                            for j in 0...i { dot += ds[i * L + j] * p[i * L + j] }
                            for j in 0..<L { ds[i * L + j] = j <= i ? p[i * L + j] * (ds[i * L + j] - dot) : 0 }
                        }
                        BLAS.gemm(transposeA: false, transposeB: false, m: L, n: dh, k: L, alpha: scale,
                                  a: ds, lda: L, b: kb + head, ldb: width, c: dqb + head, ldc: width)
                        BLAS.gemm(transposeA: true, transposeB: false, m: L, n: dh, k: L, alpha: scale,
                                  a: ds, lda: L, b: qb + head, ldb: width, c: dkb + head, ldc: width)
                    }
                }
            } } } } } } } } }
            for (input, d) in [(q, dq), (k, dk), (v, dv)] { input.accumulate(Tensor(shape: [rows, width], data: d)) }
        }
    }

    /// Row i of the (L, L) scores at `p` -> softmax over keys j <= i that are not padding
    /// (`padding[offset + j]`); masked entries 0, a row with no key all 0.
    private static func maskedSoftmax(_ p: UnsafeMutablePointer<Float>, length L: Int, padding: [Bool]?, offset: Int) {
        for i in 0..<L {
            let row = p + i * L
            var top = -Float.infinity
            for j in 0...i where padding?[offset + j] != true { top = Swift.max(top, row[j]) }
            guard top > -Float.infinity else {
                for j in 0..<L { row[j] = 0 }
                continue
            }
            var sum: Float = 0
            for j in 0..<L {
                if j <= i, padding?[offset + j] != true {
                    row[j] = Foundation.exp(row[j] - top)
                    sum += row[j]
                } else {
                    row[j] = 0
                }
            }
            let inverse = 1 / sum
            for j in 0...i { row[j] *= inverse }
        }
    }
}
