import Foundation

/// Causal multi-head self-attention over a batch of left-padded sequences, as one fused op
/// (SASRec's, Kang & McAuley 2018; PyTorch's `scaled_dot_product_attention(is_causal=True)` with
/// a key-padding mask): per sequence b and head h, with Q, K, V the head's columns,
///
///     S = Q Kᵀ / sqrt(dh)                         (Lq, L), through sgemm on strided heads
///     S[i, j] = -inf where j > L − Lq + i or key j is padding
///     P = softmax over each row (a row with no key left is all zeros)
///     O = P V                                     (Lq, dh), written into the head's columns
///
/// and the backward pass from the kept P:
///
///     dP = dO Vᵀ,  dV = Pᵀ dO,  dS = P ⊙ (dP − rowsum(dP ⊙ P)),  dQ = dS K / sqrt(dh),  dK = dSᵀ Q / sqrt(dh)
///
/// The queries are the last Lq positions of each sequence (Lq = L: every position; 1: only the
/// last, all a next-item prediction from the last position needs of a final block). k, v are
/// (B·L, H·dh), row b·L + j holding position j of sequence b; q and the result (B·Lq, H·dh),
/// row b·Lq + i holding position L − Lq + i. The (sequence, head) pairs run in parallel, each
/// writing only its own block.
extension Variable {
    /// `padding[b·L + j]`: position j of sequence b is padding (never attended to); nil: none.
    /// `weights`, if given, receives P as (B, H, Lq, L) (the attention heat-map).
    public static func causalSelfAttention(query q: Variable, key k: Variable, value v: Variable,
                                           sequences: Int, length: Int, heads: Int, padding: [Bool]? = nil,
                                           weights: ((Tensor) -> Void)? = nil) -> Variable {
        let rows = sequences * length, width = k.shape.count == 2 ? k.shape[1] : 0
        let Lq = sequences > 0 ? q.shape[0] / sequences : length
        precondition(k.shape == [rows, width] && v.shape == k.shape && q.shape == [sequences * Lq, width] && Lq >= 1 && Lq <= length,
                      "causalSelfAttention: k, v must be (\(rows), H·dh) and q (B·Lq, H·dh) with 1 <= Lq <= \(length), got \(q.shape), \(k.shape), \(v.shape)")
        precondition(heads >= 1 && width % heads == 0, "causalSelfAttention: \(width) columns do not split into \(heads) heads")
        precondition(padding == nil || padding!.count == rows, "causalSelfAttention: one padding flag per position")
        let dh = width / heads, L = length, scale = 1 / Float(dh).squareRoot()
        let blocks = sequences * heads, queryRows = sequences * Lq
        // Every (b, h) block writes all of its P and its output columns (products with beta 0).
        var probabilities = [Float].uninitialized(count: blocks * Lq * L) { _ in }   // P per (b, h), row-major (Lq, L)
        var out = [Float].uninitialized(count: queryRows * width) { _ in }
        q.value.data.withUnsafeBufferPointer { qp in k.value.data.withUnsafeBufferPointer { kp in v.value.data.withUnsafeBufferPointer { vp in
            probabilities.withUnsafeMutableBufferPointer { pp in out.withUnsafeMutableBufferPointer { op in
            // A key's flag as a byte (1: attended to): the softmax's loops select without a
            // branch or an optional array read per score.
            let attended = padding.map { $0.map { $0 ? UInt8(0) : 1 } } ?? [UInt8](repeating: 1, count: rows)
            attended.withUnsafeBufferPointer { ap in
                let (qb, kb, vb, pb, ob, ab) = (qp.baseAddress!, kp.baseAddress!, vp.baseAddress!, pp.baseAddress!, op.baseAddress!, ap.baseAddress!)
                Parallel.forEachChunk(blocks, minimumChunk: 1) { range in
                    for block in range {
                        let (b, h) = (block / heads, block % heads)
                        let head = b * L * width + h * dh, query = b * Lq * width + h * dh, p = pb + block * Lq * L
                        BLAS.gemm(transposeA: false, transposeB: true, m: Lq, n: L, k: dh, alpha: scale,
                                  a: qb + query, lda: width, b: kb + head, ldb: width, c: p, ldc: L)
                        maskedSoftmax(p, queries: Lq, length: L, attended: ab + b * L)
                        BLAS.gemm(transposeA: false, transposeB: false, m: Lq, n: dh, k: L,
                                  a: p, lda: L, b: vb + head, ldb: width, c: ob + query, ldc: width)
                    }
                }
            } } }
        } } }
        weights?(Tensor(shape: [sequences, heads, Lq, L], data: probabilities))
        return Variable(Tensor(shape: [queryRows, width], data: out), inputs: [q, k, v]) { g in
            // Written whole, block by block, as the forward's buffers.
            var dq = [Float].uninitialized(count: queryRows * width) { _ in }, dk = [Float].uninitialized(count: rows * width) { _ in }
            var dv = [Float].uninitialized(count: rows * width) { _ in }
            var scratch = [Float].uninitialized(count: blocks * Lq * L) { _ in }
            g.data.withUnsafeBufferPointer { gp in q.value.data.withUnsafeBufferPointer { qp in
            k.value.data.withUnsafeBufferPointer { kp in v.value.data.withUnsafeBufferPointer { vp in
            probabilities.withUnsafeBufferPointer { pp in scratch.withUnsafeMutableBufferPointer { sp in
            dq.withUnsafeMutableBufferPointer { dqp in dk.withUnsafeMutableBufferPointer { dkp in dv.withUnsafeMutableBufferPointer { dvp in
                let (gb, qb, kb, vb, pb, sb) = (gp.baseAddress!, qp.baseAddress!, kp.baseAddress!, vp.baseAddress!, pp.baseAddress!, sp.baseAddress!)
                let (dqb, dkb, dvb) = (dqp.baseAddress!, dkp.baseAddress!, dvp.baseAddress!)
                Parallel.forEachChunk(blocks, minimumChunk: 1) { range in
                    for block in range {
                        let (b, h) = (block / heads, block % heads)
                        let head = b * L * width + h * dh, query = b * Lq * width + h * dh
                        let p = pb + block * Lq * L, ds = sb + block * Lq * L
                        // dV = Pᵀ dO; dP = dO Vᵀ (into ds, then turned into dS in place).
                        BLAS.gemm(transposeA: true, transposeB: false, m: L, n: dh, k: Lq,
                                  a: p, lda: L, b: gb + query, ldb: width, c: dvb + head, ldc: width)
                        BLAS.gemm(transposeA: false, transposeB: true, m: Lq, n: L, k: dh,
                                  a: gb + query, lda: width, b: vb + head, ldb: width, c: ds, ldc: L)
                        for i in 0..<Lq {
                            let last = L - Lq + i
                            var dot: Float = 0
                            for j in 0...last { dot += ds[i * L + j] * p[i * L + j] }
                            for j in 0..<L { ds[i * L + j] = j <= last ? p[i * L + j] * (ds[i * L + j] - dot) : 0 }
                        }
                        BLAS.gemm(transposeA: false, transposeB: false, m: Lq, n: dh, k: L, alpha: scale,
                                  a: ds, lda: L, b: kb + head, ldb: width, c: dqb + query, ldc: width)
                        BLAS.gemm(transposeA: true, transposeB: false, m: L, n: dh, k: Lq, alpha: scale,
                                  a: ds, lda: L, b: qb + query, ldb: width, c: dkb + head, ldc: width)
                    }
                }
            } } } } } } } } }
            q.accumulate(Tensor(shape: [queryRows, width], data: dq))
            k.accumulate(Tensor(shape: [rows, width], data: dk))
            v.accumulate(Tensor(shape: [rows, width], data: dv))
        }
    }

    /// Row i of the (Lq, L) scores at `p` (query position L − Lq + i) -> softmax over keys
    /// j <= L − Lq + i with `attended[j]` 1; masked entries 0, a row with no key all 0.
    private static func maskedSoftmax(_ p: UnsafeMutablePointer<Float>, queries Lq: Int, length L: Int, attended: UnsafePointer<UInt8>) {
        for q in 0..<Lq {
            let row = p + q * L, i = L - Lq + q
            var top = -Float.infinity
            for j in 0...i { top = Swift.max(top, attended[j] != 0 ? row[j] : -.infinity) }
            guard top > -Float.infinity else {
                for j in 0..<L { row[j] = 0 }
                continue
            }
            var sum: Float = 0
            for j in 0...i {
                let e = attended[j] != 0 ? FastMath.exp(row[j] - top) : 0
                row[j] = e
                sum += e
            }
            for j in (i + 1)..<L { row[j] = 0 }
            let inverse = 1 / sum
            for j in 0...i { row[j] *= inverse }
        }
    }
}
