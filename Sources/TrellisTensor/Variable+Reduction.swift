/// Reductions. An axis splits a shape into (outer, n, inner): the reduction runs over `n`.
extension Variable {
    /// Sum of all elements; a scalar (shape `[]`).
    public func sum() -> Variable {
        var total: Float = 0
        value.data.withUnsafeBufferPointer { p in for v in p { total += v } }
        let shape = value.shape
        return Variable(Tensor(scalar: total), inputs: [self]) { [self] g in
            accumulate(Tensor(shape: shape, repeating: g.data[0]))
        }
    }

    /// Mean of all elements; a scalar.
    public func mean() -> Variable { sum() * (1 / Float(Swift.max(1, value.count))) }

    /// Sum over `axis` (negative counts from the end); the axis is dropped unless `keepDims`.
    public func sum(axis: Int, keepDims: Bool = false) -> Variable {
        let (outer, n, inner, axis) = value.shape.split(at: axis)
        var out = [Float](repeating: 0, count: outer * inner)
        value.data.withUnsafeBufferPointer { x in
            out.withUnsafeMutableBufferPointer { o in
                if inner == 1 {
                    // Row sums (e.g. per-row dot products): one running total per row.
                    for a in 0..<outer {
                        var total: Float = 0
                        for j in 0..<n { total += x[a * n + j] }
                        o[a] = total
                    }
                    return
                }
                for a in 0..<outer {
                    for j in 0..<n {
                        let src = (a * n + j) * inner
                        for b in 0..<inner { o[a * inner + b] += x[src + b] }
                    }
                }
            }
        }
        var outShape = value.shape
        if keepDims { outShape[axis] = 1 } else { outShape.remove(at: axis) }
        let inShape = value.shape
        return Variable(Tensor(shape: outShape, data: out), inputs: [self]) { [self] g in
            var gx = [Float](repeating: 0, count: outer * n * inner)
            g.data.withUnsafeBufferPointer { go in
                gx.withUnsafeMutableBufferPointer { gi in
                    for a in 0..<outer {
                        for j in 0..<n {
                            let dst = (a * n + j) * inner
                            for b in 0..<inner { gi[dst + b] = go[a * inner + b] }
                        }
                    }
                }
            }
            accumulate(Tensor(shape: inShape, data: gx))
        }
    }

    /// Mean over `axis`.
    public func mean(axis: Int, keepDims: Bool = false) -> Variable {
        let n = value.shape[value.shape.normalised(axis)]
        return sum(axis: axis, keepDims: keepDims) * (1 / Float(Swift.max(1, n)))
    }

    /// Maximum over `axis`; the gradient goes to the first maximal element.
    public func max(axis: Int, keepDims: Bool = false) -> Variable {
        let (outer, n, inner, axis) = value.shape.split(at: axis)
        precondition(n > 0, "max over an empty axis")
        var out = [Float](repeating: -.infinity, count: outer * inner)
        var arg = [Int](repeating: 0, count: outer * inner)
        value.data.withUnsafeBufferPointer { x in
            for a in 0..<outer {
                for j in 0..<n {
                    for b in 0..<inner {
                        let v = x[(a * n + j) * inner + b], o = a * inner + b
                        if v > out[o] || j == 0 { out[o] = v; arg[o] = j }
                    }
                }
            }
        }
        var outShape = value.shape
        if keepDims { outShape[axis] = 1 } else { outShape.remove(at: axis) }
        let inShape = value.shape
        return Variable(Tensor(shape: outShape, data: out), inputs: [self]) { [self] g in
            var gx = [Float](repeating: 0, count: outer * n * inner)
            for a in 0..<outer {
                for b in 0..<inner {
                    let o = a * inner + b
                    gx[(a * n + arg[o]) * inner + b] = g.data[o]
                }
            }
            accumulate(Tensor(shape: inShape, data: gx))
        }
    }
}

extension Array where Element == Int {
    /// `axis` made non-negative and checked.
    func normalised(_ axis: Int) -> Int {
        let a = axis < 0 ? axis + count : axis
        precondition(a >= 0 && a < count, "axis \(axis) out of range for shape \(self)")
        return a
    }

    /// (product before axis, extent of axis, product after axis, axis normalised).
    func split(at axis: Int) -> (outer: Int, n: Int, inner: Int, axis: Int) {
        let a = normalised(axis)
        return (self[..<a].reduce(1, *), self[a], self[(a + 1)...].reduce(1, *), a)
    }
}
