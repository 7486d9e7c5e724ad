/// Shape ops: reshape, transpose, concat, split. They move elements; gradients move back.
extension Variable {
    /// The same elements under `shape`; one dimension may be -1 and is inferred.
    public func reshaped(_ shape: [Int]) -> Variable {
        var target = shape
        if let hole = target.firstIndex(of: -1) {
            let known = target.enumerated().filter { $0.offset != hole }.map(\.element).reduce(1, *)
            precondition(known > 0 && value.count % known == 0, "cannot reshape \(value.shape) to \(shape)")
            target[hole] = value.count / known
        }
        let inShape = value.shape
        return Variable(value.reshaped(target), inputs: [self]) { [self] g in
            accumulate(g.reshaped(inShape))
        }
    }

    /// Swaps the last two dimensions: (…, m, n) -> (…, n, m).
    public func transposed() -> Variable {
        precondition(value.rank >= 2, "transpose needs rank >= 2, got \(value.shape)")
        let out = Self.swapLastTwo(value)
        return Variable(out, inputs: [self]) { [self] g in accumulate(Self.swapLastTwo(g)) }
    }

    static func swapLastTwo(_ t: Tensor) -> Tensor {
        let m = t.shape[t.rank - 2], n = t.shape[t.rank - 1]
        let batch = t.count / Swift.max(1, m * n)
        var out = [Float](repeating: 0, count: t.count)
        t.data.withUnsafeBufferPointer { x in
            out.withUnsafeMutableBufferPointer { o in
                for b in 0..<batch {
                    let base = b * m * n
                    for i in 0..<m { for j in 0..<n { o[base + j * m + i] = x[base + i * n + j] } }
                }
            }
        }
        var shape = t.shape
        shape.swapAt(t.rank - 2, t.rank - 1)
        return Tensor(shape: shape, data: out)
    }

    /// Joins `parts` along `axis`; all other dimensions must agree.
    public static func concat(_ parts: [Variable], axis: Int) -> Variable {
        precondition(!parts.isEmpty, "concat of nothing")
        let first = parts[0].value.shape
        let (outer, _, inner, a) = first.split(at: axis)
        var outShape = first
        outShape[a] = parts.reduce(0) { $0 + $1.value.shape[a] }
        for p in parts {
            var s = p.value.shape; s[a] = first[a]
            precondition(s == first, "concat along \(axis): shape \(p.value.shape) does not match \(first)")
        }
        let total = outShape[a]
        var out = [Float](repeating: 0, count: outer * total * inner)
        var offset = 0
        for p in parts {
            let n = p.value.shape[a]
            p.value.data.withUnsafeBufferPointer { x in
                for o in 0..<outer {
                    for j in 0..<(n * inner) { out[(o * total + offset) * inner + j] = x[o * n * inner + j] }
                }
            }
            offset += n
        }
        return Variable(Tensor(shape: outShape, data: out), inputs: parts) { g in
            var offset = 0
            for p in parts {
                let n = p.value.shape[a]
                if p.requiresGrad {
                    var gp = [Float](repeating: 0, count: outer * n * inner)
                    for o in 0..<outer {
                        for j in 0..<(n * inner) { gp[o * n * inner + j] = g.data[(o * total + offset) * inner + j] }
                    }
                    p.accumulate(Tensor(shape: p.value.shape, data: gp))
                }
                offset += n
            }
        }
    }

    /// Cuts along `axis` into pieces of `sizes` (which must add up to that dimension).
    public func split(sizes: [Int], axis: Int) -> [Variable] {
        let (_, total, _, a) = value.shape.split(at: axis)
        precondition(sizes.reduce(0, +) == total, "split sizes \(sizes) do not add up to \(total)")
        var pieces: [Variable] = []
        var start = 0
        for size in sizes {
            pieces.append(slice(axis: a, start: start, count: size))
            start += size
        }
        return pieces
    }

    /// Elements `start ..< start + count` along `axis`.
    public func slice(axis: Int, start: Int, count: Int) -> Variable {
        let (outer, total, inner, a) = value.shape.split(at: axis)
        precondition(start >= 0 && count >= 0 && start + count <= total, "slice \(start)+\(count) out of \(total)")
        var outShape = value.shape
        outShape[a] = count
        var out = [Float](repeating: 0, count: outer * count * inner)
        value.data.withUnsafeBufferPointer { x in
            for o in 0..<outer {
                for j in 0..<(count * inner) { out[o * count * inner + j] = x[(o * total + start) * inner + j] }
            }
        }
        let inShape = value.shape
        return Variable(Tensor(shape: outShape, data: out), inputs: [self]) { [self] g in
            var gx = [Float](repeating: 0, count: outer * total * inner)
            for o in 0..<outer {
                for j in 0..<(count * inner) { gx[(o * total + start) * inner + j] = g.data[o * count * inner + j] }
            }
            accumulate(Tensor(shape: inShape, data: gx))
        }
    }
}
