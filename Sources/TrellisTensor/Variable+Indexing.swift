/// Row indexing and segment reductions, the building blocks of message passing.
///
/// A tensor here is seen as rows: shape (N, …) is N rows of width = product of the rest.
/// A "segment" op reduces rows (E, …) into (S, …) by an index `segments[e]` in 0..<S,
/// e.g. edges into their destination node.
extension Variable {
    /// Rows `indices` of self: (N, …) -> (indices.count, …). Backward scatters-adds.
    public func gather(rows indices: [Int32]) -> Variable {
        let (n, width) = value.rowLayout
        let out = Self.gatherRows(value, indices, rowCount: n, width: width)
        return Variable(out, inputs: [self]) { [self] g in
            accumulateRows(indices, g, width: width)
        }
    }

    /// grad[indices[i]] += rows[i], in place when a gradient buffer already exists (several
    /// gathers from one table then share one buffer instead of each building a dense copy).
    func accumulateRows(_ indices: [Int32], _ rows: Tensor, width: Int) {
        guard requiresGrad else { return }
        var buffer = grad?.data ?? [Float](repeating: 0, count: value.count)
        grad = nil  // keep `buffer` uniquely referenced
        buffer.withUnsafeMutableBufferPointer { o in
            rows.data.withUnsafeBufferPointer { x in
                for (i, r) in indices.enumerated() {
                    let src = i * width, dst = Int(r) * width
                    for j in 0..<width { o[dst + j] += x[src + j] }
                }
            }
        }
        grad = Tensor(shape: value.shape, data: buffer)
    }

    /// Adds row e of self into row `indices[e]` of a zero (rowCount, …) tensor.
    public func scatterAdd(rows indices: [Int32], rowCount: Int) -> Variable {
        let (e, width) = value.rowLayout
        precondition(indices.count == e, "scatterAdd: \(indices.count) indices for \(e) rows")
        var outShape = value.shape
        outShape[0] = rowCount
        let out = Self.scatterRows(value, indices, rowCount: rowCount, width: width, shape: outShape)
        return Variable(out, inputs: [self]) { [self] g in
            accumulate(Self.gatherRows(g, indices, rowCount: rowCount, width: width))
        }
    }

    /// Sum of the rows in each segment: (E, …) -> (segmentCount, …).
    public func segmentSum(_ segments: [Int32], segmentCount: Int) -> Variable {
        scatterAdd(rows: segments, rowCount: segmentCount)
    }

    /// Element-wise maximum over the rows in each segment; an empty segment gives zeros.
    /// The gradient goes to the first row holding the maximum.
    public func segmentMax(_ segments: [Int32], segmentCount: Int) -> Variable {
        let (e, width) = value.rowLayout
        precondition(segments.count == e, "segmentMax: \(segments.count) segment ids for \(e) rows")
        var out = [Float](repeating: 0, count: segmentCount * width)
        var arg = [Int32](repeating: -1, count: segmentCount * width)
        value.data.withUnsafeBufferPointer { x in
            for row in 0..<e {
                let s = Int(segments[row])
                precondition(s >= 0 && s < segmentCount, "segment id \(s) out of 0..<\(segmentCount)")
                for j in 0..<width {
                    let v = x[row * width + j], o = s * width + j
                    if arg[o] < 0 || v > out[o] { out[o] = v; arg[o] = Int32(row) }
                }
            }
        }
        var outShape = value.shape
        outShape[0] = segmentCount
        let inShape = value.shape
        return Variable(Tensor(shape: outShape, data: out), inputs: [self]) { [self] g in
            var gx = [Float](repeating: 0, count: e * width)
            for o in 0..<(segmentCount * width) where arg[o] >= 0 {
                gx[Int(arg[o]) * width + o % width] += g.data[o]
            }
            accumulate(Tensor(shape: inShape, data: gx))
        }
    }

    /// Softmax over the rows of each segment, separately per column: for graph attention,
    /// scores (E, heads) normalised over each destination's incoming edges.
    public func segmentSoftmax(_ segments: [Int32], segmentCount: Int) -> Variable {
        let (e, width) = value.rowLayout
        precondition(segments.count == e, "segmentSoftmax: \(segments.count) segment ids for \(e) rows")
        var maxima = [Float](repeating: -.infinity, count: segmentCount * width)
        var sums = [Float](repeating: 0, count: segmentCount * width)
        var y = [Float](repeating: 0, count: e * width)
        value.data.withUnsafeBufferPointer { x in
            for row in 0..<e {
                let s = Int(segments[row])
                precondition(s >= 0 && s < segmentCount, "segment id \(s) out of 0..<\(segmentCount)")
                for j in 0..<width { maxima[s * width + j] = Swift.max(maxima[s * width + j], x[row * width + j]) }
            }
            for row in 0..<e {
                let s = Int(segments[row])
                for j in 0..<width {
                    let v = Foundation.exp(x[row * width + j] - maxima[s * width + j])
                    y[row * width + j] = v
                    sums[s * width + j] += v
                }
            }
        }
        for row in 0..<e {
            let s = Int(segments[row])
            for j in 0..<width { y[row * width + j] /= sums[s * width + j] }
        }
        let out = Tensor(shape: value.shape, data: y)
        return Variable(out, inputs: [self]) { [self] g in
            // dx = y * (g - sum_{segment} g*y)
            var dots = [Float](repeating: 0, count: segmentCount * width)
            for row in 0..<e {
                let s = Int(segments[row])
                for j in 0..<width { dots[s * width + j] += g.data[row * width + j] * y[row * width + j] }
            }
            var gx = [Float](repeating: 0, count: e * width)
            for row in 0..<e {
                let s = Int(segments[row])
                for j in 0..<width {
                    let i = row * width + j
                    gx[i] = y[i] * (g.data[i] - dots[s * width + j])
                }
            }
            accumulate(Tensor(shape: value.shape, data: gx))
        }
    }

    // MARK: Raw kernels

    static func gatherRows(_ t: Tensor, _ indices: [Int32], rowCount n: Int, width: Int) -> Tensor {
        var outShape = t.shape
        outShape[0] = indices.count
        let out = [Float].uninitialized(count: indices.count * width) { o in
            t.data.withUnsafeBufferPointer { x in
                for (i, r) in indices.enumerated() {
                    let row = Int(r)
                    precondition(row >= 0 && row < n, "gather: row \(row) out of 0..<\(n)")
                    let src = row * width, dst = i * width
                    for j in 0..<width { o[dst + j] = x[src + j] }
                }
            }
        }
        return Tensor(shape: outShape, data: out)
    }

    static func scatterRows(_ t: Tensor, _ indices: [Int32], rowCount n: Int, width: Int, shape: [Int]) -> Tensor {
        var out = [Float](repeating: 0, count: n * width)
        t.data.withUnsafeBufferPointer { x in
            out.withUnsafeMutableBufferPointer { o in
                for (i, r) in indices.enumerated() {
                    let row = Int(r)
                    precondition(row >= 0 && row < n, "scatter: row \(row) out of 0..<\(n)")
                    let src = i * width, dst = row * width
                    for j in 0..<width { o[dst + j] += x[src + j] }
                }
            }
        }
        return Tensor(shape: shape, data: out)
    }
}

extension Tensor {
    /// Rows `ids` of a rank >= 1 tensor, outside any graph: (N, …) -> (ids.count, …).
    public func rows(_ ids: [Int32]) -> Tensor {
        let (n, width) = rowLayout
        return Variable.gatherRows(self, ids, rowCount: n, width: width)
    }

    /// (number of rows, elements per row) for a rank >= 1 tensor.
    var rowLayout: (rows: Int, width: Int) {
        precondition(rank >= 1, "row op on a scalar")
        return (shape[0], shape[0] == 0 ? shape.dropFirst().reduce(1, *) : count / shape[0])
    }
}

import Foundation
