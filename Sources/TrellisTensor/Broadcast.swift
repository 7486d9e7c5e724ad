/// NumPy-style broadcasting: shapes align on the right, a dimension of 1 stretches.
///
/// Three layouts cover nearly every use and get loops without index arithmetic: equal
/// shapes, a one-element operand, and an operand whose shape is a suffix of the output
/// (a bias `[D]` against `[N, D]`). Anything else goes through an offset table.
enum Broadcast {
    /// The broadcast shape of `a` and `b`, or a precondition failure naming both.
    static func shape(_ a: [Int], _ b: [Int]) -> [Int] {
        let rank = max(a.count, b.count)
        var out = [Int](repeating: 1, count: rank)
        for i in 0..<rank {
            let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
            let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
            precondition(da == db || da == 1 || db == 1, "shapes \(a) and \(b) do not broadcast")
            out[i] = da == 1 ? db : da
        }
        return out
    }

    /// How an input of `input` shape is read for each element of `output`.
    enum Layout {
        case same
        case scalar
        case suffix(period: Int)
        case general(offsets: [Int])
    }

    static func layout(of input: [Int], in output: [Int]) -> Layout {
        if input == output { return .same }
        let inCount = input.reduce(1, *)
        if inCount == 1 { return .scalar }
        let trimmed = Array(input.drop { $0 == 1 })
        if trimmed.count <= output.count, Array(output.suffix(trimmed.count)) == trimmed {
            return .suffix(period: inCount)
        }
        return .general(offsets: offsets(of: input, in: output))
    }

    /// For each element of `output` (row-major), its offset in the broadcast input.
    static func offsets(of input: [Int], in output: [Int]) -> [Int] {
        let rank = output.count
        let padded = [Int](repeating: 1, count: rank - input.count) + input
        var strides = [Int](repeating: 0, count: rank)
        var running = 1
        for d in stride(from: rank - 1, through: 0, by: -1) {
            strides[d] = padded[d] == 1 ? 0 : running
            running *= padded[d]
        }
        let total = output.reduce(1, *)
        var result = [Int](repeating: 0, count: total)
        var index = [Int](repeating: 0, count: rank)
        var offset = 0
        for i in 0..<total {
            result[i] = offset
            var d = rank - 1
            while d >= 0 {
                index[d] += 1
                offset += strides[d]
                if index[d] < output[d] { break }
                offset -= strides[d] * index[d]
                index[d] = 0
                d -= 1
            }
        }
        return result
    }

    /// Sums `gradient` (of the broadcast `output` shape) back down to `input` shape.
    static func reduce(_ gradient: Tensor, to input: [Int]) -> Tensor {
        let output = gradient.shape
        switch layout(of: input, in: output) {
        case .same:
            return gradient
        case .scalar:
            var total: Float = 0
            for v in gradient.data { total += v }
            return Tensor(shape: input, data: [total])
        case .suffix(let period):
            var sums = [Float](repeating: 0, count: period)
            gradient.data.withUnsafeBufferPointer { g in
                sums.withUnsafeMutableBufferPointer { s in
                    var base = 0
                    while base < g.count {
                        for j in 0..<period { s[j] += g[base + j] }
                        base += period
                    }
                }
            }
            return Tensor(shape: input, data: sums)
        case .general(let offsets):
            var sums = [Float](repeating: 0, count: input.reduce(1, *))
            for (i, o) in offsets.enumerated() { sums[o] += gradient.data[i] }
            return Tensor(shape: input, data: sums)
        }
    }

    /// out[i] = op(a[i'], b[i'']) over the broadcast shape.
    @inline(__always)
    static func apply(_ a: Tensor, _ b: Tensor, _ op: (Float, Float) -> Float) -> Tensor {
        let outShape = shape(a.shape, b.shape)
        let n = outShape.reduce(1, *)
        let la = layout(of: a.shape, in: outShape), lb = layout(of: b.shape, in: outShape)
        let out = [Float].uninitialized(count: n) { po in
        a.data.withUnsafeBufferPointer { pa in
            b.data.withUnsafeBufferPointer { pb in
                do {
                    switch (la, lb) {
                    case (.same, .same):
                        for i in 0..<n { po[i] = op(pa[i], pb[i]) }
                    case (.same, .scalar):
                        let s = pb[0]; for i in 0..<n { po[i] = op(pa[i], s) }
                    case (.scalar, .same):
                        let s = pa[0]; for i in 0..<n { po[i] = op(s, pb[i]) }
                    case (.same, .suffix(let p)):
                        var base = 0
                        while base < n { for j in 0..<p { po[base + j] = op(pa[base + j], pb[j]) }; base += p }
                    case (.suffix(let p), .same):
                        var base = 0
                        while base < n { for j in 0..<p { po[base + j] = op(pa[j], pb[base + j]) }; base += p }
                    default:
                        let oa = offsetTable(la, count: n), ob = offsetTable(lb, count: n)
                        for i in 0..<n { po[i] = op(pa[oa[i]], pb[ob[i]]) }
                    }
                }
            }
        }
        }
        return Tensor(shape: outShape, data: out)
    }

    private static func offsetTable(_ layout: Layout, count n: Int) -> [Int] {
        switch layout {
        case .same: return Array(0..<n)
        case .scalar: return [Int](repeating: 0, count: n)
        case .suffix(let p): return (0..<n).map { $0 % p }
        case .general(let offsets): return offsets
        }
    }
}

// MARK: - Unary maps on raw tensors

extension Tensor {
    /// Applies `op` to every element.
    @inline(__always)
    func map(_ op: (Float) -> Float) -> Tensor {
        var out = data
        out.withUnsafeMutableBufferPointer { p in for i in 0..<p.count { p[i] = op(p[i]) } }
        return Tensor(shape: shape, data: out)
    }

    /// Combines two same-shaped tensors element by element.
    @inline(__always)
    func zip(_ other: Tensor, _ op: (Float, Float) -> Float) -> Tensor {
        precondition(other.count == count, "zip of \(shape) and \(other.shape)")
        var out = data
        out.withUnsafeMutableBufferPointer { p in
            other.data.withUnsafeBufferPointer { q in for i in 0..<p.count { p[i] = op(p[i], q[i]) } }
        }
        return Tensor(shape: shape, data: out)
    }
}
