/// Matrix products through `cblas_sgemm`.
///
/// `matmul` takes (m, k) x (k, n) -> (m, n), with either side optionally transposed, and
/// batches: (B, m, k) x (B, k, n) -> (B, m, n), or (B, m, k) x (k, n) with a shared right side.
extension Variable {
    /// op(self) · op(other).
    public func matmul(_ other: Variable, transposeSelf: Bool = false, transposeOther: Bool = false) -> Variable {
        let a = value, b = other.value
        precondition(a.rank >= 2 && b.rank >= 2, "matmul needs rank >= 2, got \(a.shape) and \(b.shape)")
        let out = Self.product(a, b, transposeA: transposeSelf, transposeB: transposeOther)
        return Variable(out, inputs: [self, other]) { [self] g in
            // C = op(A) op(B)  =>  dA and dB by the four transpose cases.
            if requiresGrad {
                let da: Tensor
                switch (transposeSelf, transposeOther) {
                case (false, false): da = Self.product(g, b, transposeA: false, transposeB: true)
                case (false, true): da = Self.product(g, b, transposeA: false, transposeB: false)
                case (true, false): da = Self.product(b, g, transposeA: false, transposeB: true)
                case (true, true): da = Self.product(b, g, transposeA: true, transposeB: true)
                }
                accumulate(Self.sumBatches(da, to: a.shape))
            }
            if other.requiresGrad {
                let db: Tensor
                switch (transposeSelf, transposeOther) {
                case (false, false): db = Self.product(a, g, transposeA: true, transposeB: false)
                case (false, true): db = Self.product(g, a, transposeA: true, transposeB: false)
                case (true, false): db = Self.product(a, g, transposeA: false, transposeB: false)
                case (true, true): db = Self.product(g, a, transposeA: true, transposeB: true)
                }
                other.accumulate(Self.sumBatches(db, to: b.shape))
            }
        }
    }

    /// x (N, in) · weightᵀ + bias, weight (out, in), bias (out): PyTorch's `linear` as one
    /// node, so a layer keeps one (N, out) tensor where a product and a broadcast add kept
    /// two. The same arithmetic as `matmul(weight, transposeOther: true) + bias` (bit for bit
    /// where OpenBLAS sums the inner dimension in one block, as every layer here): the bias
    /// is added to each product, and its gradient sums the rows in order.
    public func linear(weight: Variable, bias: Variable?) -> Variable {
        let x = value, w = weight.value
        precondition(x.rank >= 1 && w.rank == 2 && x.shape.last == w.shape[1],
                     "linear: input \(x.shape) does not fit weight \(w.shape)")
        let width = w.shape[0], rows = x.count / w.shape[1]
        let flat = x.rank == 2 ? x : x.reshaped([rows, w.shape[1]])
        let y: Tensor
        if let b = bias?.value {
            precondition(b.shape == [width], "linear: bias \(b.shape) for \(width) outputs")
            // Every row starts as the bias and the product adds to it (beta 1): one pass over
            // the output where a zero fill and an add were two.
            let k = w.shape[1]
            let out = [Float].uninitialized(count: rows * width) { py in
                b.data.withUnsafeBufferPointer { pb in flat.data.withUnsafeBufferPointer { px in w.data.withUnsafeBufferPointer { pw in
                    guard rows > 0, width > 0, let (y, b) = py.baseAddress.flatMap({ y in pb.baseAddress.map { (y, $0) } }) else { return }
                    Parallel.forEachChunk(rows, minimumChunk: Swift.max(1, 16_384 / width)) { range in
                        for r in range { (y + r * width).update(from: b, count: width) }
                    }
                    guard k > 0 else { return }
                    BLAS.parallelGemm(transposeA: false, transposeB: true, m: rows, n: width, k: k,
                                      a: px.baseAddress!, b: pw.baseAddress!, beta: 1, c: y)
                } } }
            }
            y = Tensor(shape: [rows, width], data: out)
        } else {
            y = Self.product(flat, w, transposeA: false, transposeB: true)                           // (N, out)
        }
        let outShape = Array(x.shape.dropLast()) + [width]
        return Variable(y.reshaped(outShape), inputs: [self, weight] + (bias.map { [$0] } ?? [])) { [self] g in
            let g2 = g.reshaped([rows, width])
            if requiresGrad { accumulate(Self.product(g2, w, transposeA: false, transposeB: false).reshaped(x.shape)) }   // (N, in)
            if weight.requiresGrad { weight.accumulate(Self.product(g2, flat, transposeA: true, transposeB: false)) }   // (out, in)
            if let bias, bias.requiresGrad {
                bias.accumulate(Tensor(shape: [width], data: Self.columnSums(g2.data, rows: rows, width: width)))
            }
        }
    }

    /// The sums of the columns of a (rows, width) matrix, each over the rows in order (as the
    /// broadcast add's reduction, bit for bit; `FastMath.addColumns`).
    static func columnSums(_ x: [Float], rows: Int, width: Int) -> [Float] {
        var sums = [Float](repeating: 0, count: width)
        guard rows > 0, width > 0 else { return sums }
        x.withUnsafeBufferPointer { px in sums.withUnsafeMutableBufferPointer { ps in
            FastMath.addColumns(px.baseAddress!, nil, rows: rows, width: width, into: ps.baseAddress!)
        } }
        return sums
    }

    /// Gradients of a shared (un-batched) operand are summed over the batch.
    private static func sumBatches(_ t: Tensor, to shape: [Int]) -> Tensor {
        if t.shape == shape { return t }
        let per = shape.reduce(1, *)
        var out = [Float](repeating: 0, count: per)
        t.data.withUnsafeBufferPointer { x in
            var base = 0
            while base < x.count { for i in 0..<per { out[i] += x[base + i] }; base += per }
        }
        return Tensor(shape: shape, data: out)
    }

    /// The raw product with batching rules; used forward and in pullbacks.
    static func product(_ a: Tensor, _ b: Tensor, transposeA: Bool, transposeB: Bool) -> Tensor {
        let ar = a.rank, br = b.rank
        let am = a.shape[ar - 2], ak = a.shape[ar - 1]
        let bk = b.shape[br - 2], bn = b.shape[br - 1]
        let m = transposeA ? ak : am, k = transposeA ? am : ak
        let k2 = transposeB ? bn : bk, n = transposeB ? bk : bn
        precondition(k == k2, "matmul inner dimensions differ: \(a.shape)\(transposeA ? "ᵀ" : "") x \(b.shape)\(transposeB ? "ᵀ" : "")")
        let batchA = a.shape.dropLast(2).reduce(1, *), batchB = b.shape.dropLast(2).reduce(1, *)
        precondition(batchA == batchB || batchB == 1 || batchA == 1,
                     "matmul batch sizes differ: \(a.shape) x \(b.shape)")
        let batch = Swift.max(batchA, batchB)
        // Batch dimensions come from the operand that carries the batch.
        var outShape = batchA == batch && (batchB != batch || ar >= br) ? Array(a.shape.dropLast(2)) : Array(b.shape.dropLast(2))
        outShape += [m, n]
        // An empty product, or a sum over nothing (k = 0), is all zeros.
        guard batch * m * n > 0, k > 0 else { return Tensor(shape: outShape, repeating: 0) }
        // gemm with beta = 0 writes every element of C.
        let out = [Float].uninitialized(count: batch * m * n) { po in
            a.data.withUnsafeBufferPointer { pa in
                b.data.withUnsafeBufferPointer { pb in
                    if batchB == 1 && !transposeA && batchA > 1 {
                        // (B, m, k) x (k, n): one gemm over B*m rows.
                        BLAS.parallelGemm(transposeA: false, transposeB: transposeB, m: batch * m, n: n, k: k,
                                          a: pa.baseAddress!, b: pb.baseAddress!, c: po.baseAddress!)
                        return
                    }
                    for i in 0..<batch {
                        let offA = batchA == 1 ? 0 : i * am * ak
                        let offB = batchB == 1 ? 0 : i * bk * bn
                        BLAS.parallelGemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                                          a: pa.baseAddress! + offA, b: pb.baseAddress! + offB,
                                          c: po.baseAddress! + i * m * n)
                    }
                }
            }
        }
        return Tensor(shape: outShape, data: out)
    }
}
