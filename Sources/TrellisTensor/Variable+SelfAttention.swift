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
        // A key's flag as a byte (1: attended to): the softmax's loops select without a branch
        // or an optional array read per score.
        let attended = padding.map { $0.map { $0 ? UInt8(0) : 1 } } ?? [UInt8](repeating: 1, count: rows)
        // Each sequence's leading run of padded positions (left padding): no query attends to
        // those keys, and a query among them attends to nothing, so the products skip them.
        let leads = (0..<sequences).map { b in (0..<L).first { attended[b * L + $0] != 0 } ?? L }
        // Every (b, h) block writes all of its P and its output columns.
        var probabilities = [Float].uninitialized(count: blocks * Lq * L) { _ in }   // P per (b, h), row-major (Lq, L)
        var out = [Float].uninitialized(count: queryRows * width) { _ in }
        q.value.data.withUnsafeBufferPointer { qp in k.value.data.withUnsafeBufferPointer { kp in v.value.data.withUnsafeBufferPointer { vp in
            probabilities.withUnsafeMutableBufferPointer { pp in out.withUnsafeMutableBufferPointer { op in
            attended.withUnsafeBufferPointer { ap in
                let (qb, kb, vb, pb, ob, ab) = (qp.baseAddress!, kp.baseAddress!, vp.baseAddress!, pp.baseAddress!, op.baseAddress!, ap.baseAddress!)
                Parallel.forEachChunk(blocks, minimumChunk: 1) { range in
                    for block in range {
                        let (b, h) = (block / heads, block % heads)
                        let head = b * L * width + h * dh, query = b * Lq * width + h * dh, p = pb + block * Lq * L
                        // Keys o..<L; queries q0..<Lq (positions L − Lq + q0 ..< L).
                        let o = leads[b], q0 = Swift.min(Lq, Swift.max(0, o - (L - Lq)))
                        BLAS.gemm(transposeA: false, transposeB: true, m: Lq - q0, n: L - o, k: dh, alpha: scale,
                                  a: qb + query + q0 * width, lda: width, b: kb + head + o * width, ldb: width, c: p + q0 * L + o, ldc: L)
                        maskedSoftmax(p, queries: Lq, length: L, firstKey: o, attended: ab + b * L)
                        zeroRows(ob + query, count: q0, width: dh, stride: width)
                        BLAS.gemm(transposeA: false, transposeB: false, m: Lq - q0, n: dh, k: L - o,
                                  a: p + q0 * L + o, lda: L, b: vb + head + o * width, ldb: width, c: ob + query + q0 * width, ldc: width)
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
                        let o = leads[b], q0 = Swift.min(Lq, Swift.max(0, o - (L - Lq)))
                        // The skipped rows of the forward pass have no gradient.
                        zeroRows(dvb + head, count: o, width: dh, stride: width)
                        zeroRows(dkb + head, count: o, width: dh, stride: width)
                        zeroRows(dqb + query, count: q0, width: dh, stride: width)
                        guard q0 < Lq, o < L else {
                            zeroRows(dvb + head + o * width, count: L - o, width: dh, stride: width)
                            zeroRows(dkb + head + o * width, count: L - o, width: dh, stride: width)
                            zeroRows(dqb + query + q0 * width, count: Lq - q0, width: dh, stride: width)
                            continue
                        }
                        let (pk, dsk) = (p + q0 * L + o, ds + q0 * L + o)   // the computed (Lq − q0, L − o) blocks
                        // dV = Pᵀ dO; dP = dO Vᵀ (into ds, then turned into dS in place).
                        BLAS.gemm(transposeA: true, transposeB: false, m: L - o, n: dh, k: Lq - q0,
                                  a: pk, lda: L, b: gb + query + q0 * width, ldb: width, c: dvb + head + o * width, ldc: width)
                        BLAS.gemm(transposeA: false, transposeB: true, m: Lq - q0, n: L - o, k: dh,
                                  a: gb + query + q0 * width, lda: width, b: vb + head + o * width, ldb: width, c: dsk, ldc: L)
                        for i in q0..<Lq {
                            let last = L - Lq + i, row = i * L
                            var dot: Float = 0
                            for j in o...last { dot += ds[row + j] * p[row + j] }
                            for j in o..<L { ds[row + j] = j <= last ? p[row + j] * (ds[row + j] - dot) : 0 }
                        }
                        BLAS.gemm(transposeA: false, transposeB: false, m: Lq - q0, n: dh, k: L - o, alpha: scale,
                                  a: dsk, lda: L, b: kb + head + o * width, ldb: width, c: dqb + query + q0 * width, ldc: width)
                        BLAS.gemm(transposeA: true, transposeB: false, m: L - o, n: dh, k: Lq - q0, alpha: scale,
                                  a: dsk, lda: L, b: qb + query + q0 * width, ldb: width, c: dkb + head + o * width, ldc: width)
                    }
                }
            } } } } } } } } }
            q.accumulate(Tensor(shape: [queryRows, width], data: dq))
            k.accumulate(Tensor(shape: [rows, width], data: dk))
            v.accumulate(Tensor(shape: [rows, width], data: dv))
        }
    }

    /// Row q of the (Lq, L) scores at `p` (query position i = L − Lq + q) -> softmax over keys
    /// firstKey <= j <= i with `attended[j]` 1; every other entry 0, a row with no key all 0.
    /// Only columns from `firstKey` of the rows from query position `firstKey` hold scores.
    private static func maskedSoftmax(_ p: UnsafeMutablePointer<Float>, queries Lq: Int, length L: Int, firstKey o: Int,
                                      attended: UnsafePointer<UInt8>) {
        for q in 0..<Lq {
            let row = p + q * L, i = L - Lq + q
            var top = -Float.infinity
            if i >= o { for j in o...i { top = Swift.max(top, attended[j] != 0 ? row[j] : -.infinity) } }
            guard top > -Float.infinity else {
                for j in 0..<L { row[j] = 0 }
                continue
            }
            var sum: Float = 0
            for j in 0..<o { row[j] = 0 }
            for j in o...i {
                let e = attended[j] != 0 ? FastMath.exp(row[j] - top) : 0
                row[j] = e
                sum += e
            }
            for j in (i + 1)..<L { row[j] = 0 }
            let inverse = 1 / sum
            for j in o...i { row[j] *= inverse }
        }
    }

    /// `count` rows of `width` floats, `stride` apart, set to 0.
    private static func zeroRows(_ base: UnsafeMutablePointer<Float>, count: Int, width: Int, stride: Int) {
        for r in 0..<count { (base + r * stride).update(repeating: 0, count: width) }
    }
}
