import CKernels
import Foundation

/// An output layer and its loss as one node: the mean cross-entropy of the scores of `self`'s
/// rows against every row of a table,
///
///     S = H Eᵀ                                    (T, I)   H = self (T, d), E = table (I, d)
///     loss = mean over rows t of  −log softmax(S[t])[target t]
///     dS = (softmax(S) − onehot(targets)) / T,   dH = dS E,   dE = dSᵀ H
///
/// the same arithmetic as `matmul(table, transposeOther: true).crossEntropy(targets:)`, but
/// the loss is the end of the graph, so dS is known when the scores are: the forward pass
/// computes dH and dE and frees S, which is never alive during the rest of the backward
/// pass. For a catalogue of up to 8,192 items, rows go in chunks small enough that a chunk's
/// scores stay in the core's cache from the product that writes them through the softmax to
/// dH, chunks in parallel, each on one thread; a larger one takes one product over every
/// row (each chunk would pack the whole table again). dE is one product over every row,
/// split over the table's rows.
extension Variable {
    /// Scores per chunk of rows: about 1 MiB of them (a core's L2).
    static let scoreChunkBytes = 1 << 20

    public func crossEntropy(scoredAgainst table: Variable, targets: [Int32]) -> Variable {
        let h = value, e = table.value
        precondition(h.rank == 2 && e.rank == 2 && h.shape[1] == e.shape[1] && h.shape[0] == targets.count,
                     "crossEntropy(scoredAgainst:): rows \(h.shape) and table \(e.shape) must share their width, one target per row (\(targets.count))")
        let (T, I, d) = (h.shape[0], e.shape[0], h.shape[1])
        for t in targets { precondition(t >= 0 && Int(t) < I, "crossEntropy(scoredAgainst:): target \(t) out of 0..<\(I)") }
        guard T > 0, I > 0 else { return Variable(Tensor(scalar: 0), inputs: [self, table]) { _ in } }
        let scale = 1 / Float(T)
        var losses = [Double](repeating: 0, count: T)
        var dh = [Float](repeating: 0, count: T * d), de = [Float](repeating: 0, count: I * d)
        // dS for every row: (T, I). Written chunk by chunk, read once more for dE, then freed.
        var ds = [Float].uninitialized(count: T * I) { _ in }
        let rows = Self.scoreChunkBytes / (4 * I)
        h.data.withUnsafeBufferPointer { ph in e.data.withUnsafeBufferPointer { pe in
        ds.withUnsafeMutableBufferPointer { ps in dh.withUnsafeMutableBufferPointer { pdh in
        losses.withUnsafeMutableBufferPointer { pl in
            let (hb, eb, sb, dhb, lb) = (ph.baseAddress!, pe.baseAddress!, ps.baseAddress!, pdh.baseAddress!, pl.baseAddress!)
            /// Scores of `rows` -> their dS in place, and their losses.
            func softmax(_ rows: Range<Int>) {
                for t in rows {
                    let row = sb + t * I, target = Int(targets[t])
                    let picked = row[target]
                    var (top, sum): (Float, Float) = (0, 0)
                    trellis_softmax_gradient(row, I, target, scale, &top, &sum)     // row: (softmax − onehot) · scale
                    lb[t] = Double(top + Foundation.log(sum) - picked)
                }
            }
            if rows >= 32 {
                let chunks = (T + rows - 1) / rows
                Parallel.forEachChunk(chunks, minimumChunk: 1) { range in
                    for chunk in range {
                        let first = chunk * rows, count = Swift.min(rows, T - first)
                        BLAS.gemm(transposeA: false, transposeB: true, m: count, n: I, k: d, a: hb + first * d, lda: d,
                                  b: eb, ldb: d, c: sb + first * I, ldc: I)                          // S (count, I)
                        softmax(first..<first + count)
                        BLAS.gemm(transposeA: false, transposeB: false, m: count, n: d, k: I, a: sb + first * I, lda: I,
                                  b: eb, ldb: d, c: dhb + first * d, ldc: d)                          // dH (count, d)
                    }
                }
            } else {
                // A catalogue whose 32 rows of scores outgrow the cache: chunks would only pack
                // the table once each. One product over every row, split over the threads.
                BLAS.parallelGemm(transposeA: false, transposeB: true, m: T, n: I, k: d, a: hb, b: eb, c: sb)       // S (T, I)
                Parallel.forEachChunk(T, minimumChunk: 1) { softmax($0) }
                BLAS.parallelGemm(transposeA: false, transposeB: false, m: T, n: d, k: I, a: sb, b: eb, c: dhb)     // dH (T, d)
            }
        } } } } }
        // dE = dSᵀ H, the table's rows split over the threads (each row over every T in order).
        ds.withUnsafeBufferPointer { ps in h.data.withUnsafeBufferPointer { ph in de.withUnsafeMutableBufferPointer { pde in
            let (sb, hb, deb) = (ps.baseAddress!, ph.baseAddress!, pde.baseAddress!)
            Parallel.forEachChunk(I, minimumChunk: 64) { items in
                BLAS.gemm(transposeA: true, transposeB: false, m: items.count, n: d, k: T, a: sb + items.lowerBound, lda: I,
                          b: hb, ldb: d, c: deb + items.lowerBound * d, ldc: d)
            }
        } } }
        ds = []
        let loss = Float(losses.reduce(0, +)) * scale
        let (gradH, gradE) = (dh, de)
        return Variable(Tensor(scalar: loss), inputs: [self, table]) { [self] g in
            let upstream = g.data[0]
            func scaled(_ x: [Float]) -> [Float] { upstream == 1 ? x : x.map { $0 * upstream } }
            if requiresGrad { accumulate(Tensor(shape: [T, d], data: scaled(gradH))) }
            if table.requiresGrad { table.accumulate(Tensor(shape: [I, d], data: scaled(gradE))) }
        }
    }
}
