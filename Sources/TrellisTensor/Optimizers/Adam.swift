import Foundation

/// Adam (Kingma & Ba). With `decoupledWeightDecay` it is AdamW (Loshchilov & Hutter): decay
/// is applied to the weights directly instead of being added to the gradient.
public final class Adam: DenseOptimizer {
    public var learningRate: Float
    public let beta1: Float, beta2: Float, epsilon: Float
    public let weightDecay: Float
    public let decoupledWeightDecay: Bool
    /// Steps taken (bias correction uses it).
    public internal(set) var stepCount: Int = 0
    public internal(set) var moments = MomentBuffers()

    public init(learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8,
                weightDecay: Float = 0, decoupledWeightDecay: Bool = false) {
        self.learningRate = learningRate
        self.beta1 = beta1; self.beta2 = beta2; self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.decoupledWeightDecay = decoupledWeightDecay
    }

    /// AdamW with PyTorch's default decay of 0.01.
    public static func adamW(learningRate: Float = 1e-3, weightDecay: Float = 0.01) -> Adam {
        Adam(learningRate: learningRate, weightDecay: weightDecay, decoupledWeightDecay: true)
    }

    public func step(_ parameters: [Variable]) {
        stepCount += 1
        let c1 = 1 - Foundation.pow(beta1, Float(stepCount)), c2 = 1 - Foundation.pow(beta2, Float(stepCount))
        // PyTorch's form of the bias corrections (as `LazyAdam`'s).
        let stepSize = learningRate / c1, root = 1 / c2.squareRoot()
        for p in parameters {
            guard let g = p.grad else { continue }
            // Taken out of the dictionary so the update below does not copy them.
            var m = moments.first.removeValue(forKey: p.name) ?? [Float](repeating: 0, count: g.count)
            var v = moments.second.removeValue(forKey: p.name) ?? [Float](repeating: 0, count: g.count)
            precondition(p.value.count == g.count && m.count == g.count && v.count == g.count,
                         "Adam: \(p.name) has \(p.value.count) values, \(g.count) gradients, \(m.count)/\(v.count) moments")
            let (beta1, beta2, epsilon, learningRate, weightDecay, decoupled) = (beta1, beta2, epsilon, learningRate, weightDecay, decoupledWeightDecay)
            // Through pointers, with the locals above, so the loop vectorises (it indexed the
            // arrays with a bounds check per value).
            p.value.data.withUnsafeMutableBufferPointer { pw in g.data.withUnsafeBufferPointer { pg in
            m.withUnsafeMutableBufferPointer { pm in v.withUnsafeMutableBufferPointer { pv in
                guard let w = pw.baseAddress, let gb = pg.baseAddress, let mb = pm.baseAddress, let vb = pv.baseAddress else { return }
                for i in 0..<pg.count {
                    var gi = gb[i]
                    if decoupled { w[i] -= learningRate * weightDecay * w[i] } else { gi += weightDecay * w[i] }
                    mb[i] = beta1 * mb[i] + (1 - beta1) * gi
                    vb[i] = beta2 * vb[i] + (1 - beta2) * gi * gi
                    w[i] -= stepSize * mb[i] / (vb[i].squareRoot() * root + epsilon)
                }
            } } } }
            moments.first[p.name] = m
            moments.second[p.name] = v
        }
    }
}

/// Adam for embedding tables.
///
/// Lazy (the default, row-sparse): moments and weights change only for rows in the gradient,
/// with bias correction from the global step; the cost follows the batch, not the table, so
/// it suits huge sharded tables. Not lazy: every row is updated each step with a zero
/// gradient where absent, exactly PyTorch's Adam on a dense `nn.Embedding` (rows keep moving
/// on their momentum). With every row present each step the two are the same.
public final class LazyAdam: RowOptimizer {
    public var learningRate: Float
    public let beta1: Float, beta2: Float, epsilon: Float
    /// Update only the rows present in the gradient.
    public let lazy: Bool
    /// Decoupled weight decay (AdamW's, as PyTorch applies it to embedding tables too): each
    /// updated row first shrinks by learningRate · decay.
    public let decay: Float
    public internal(set) var stepCount: Int = 0
    public internal(set) var moments = MomentBuffers()

    public init(learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8,
                lazy: Bool = true, decay: Float = 0) {
        self.learningRate = learningRate
        self.beta1 = beta1; self.beta2 = beta2; self.epsilon = epsilon
        self.lazy = lazy
        self.decay = decay
    }

    public func step(_ tables: [EmbeddingTable]) {
        stepCount += 1
        let c1 = 1 - Foundation.pow(beta1, Float(stepCount)), c2 = 1 - Foundation.pow(beta2, Float(stepCount))
        let shrink = 1 - learningRate * decay
        // PyTorch's form of the bias corrections: one square root and one division per value.
        let stepSize = learningRate / c1, root = 1 / c2.squareRoot()
        let (beta1, beta2, epsilon) = (beta1, beta2, epsilon)
        for t in tables {
            var g = t.gradient.coalesced()
            let d = t.dimension
            // A table no step has given a gradient (SASRec's user table) has zero moments, so a
            // dense step would move none of its rows: skipped, exactly, unless it decays.
            if !lazy && g.isEmpty && moments.first[t.name] == nil && decay == 0 { continue }
            if !lazy { g = Self.densified(g, rowCount: t.rowCount) }
            guard !g.isEmpty else { continue }
            let n = t.weights.count
            // Take the buffers out of the dictionary so they are uniquely referenced and
            // mutate in place (no copy-on-write copy of a whole table per step).
            var first = moments.first.removeValue(forKey: t.name) ?? [Float](repeating: 0, count: n)
            var second = moments.second.removeValue(forKey: t.name) ?? [Float](repeating: 0, count: n)
            defer { moments.first[t.name] = first; moments.second[t.name] = second }
            // The loop below indexes through unchecked pointers: a short buffer would be written
            // past its end. `importState` refuses one; this is the last line of defence.
            precondition(first.count == n && second.count == n,
                         "LazyAdam: moments of \(t.name) have \(first.count) and \(second.count) values, the table \(n)")
            first.withUnsafeMutableBufferPointer { m in
                second.withUnsafeMutableBufferPointer { v in
                    t.weights.data.withUnsafeMutableBufferPointer { w in
                        g.values.withUnsafeBufferPointer { gv in
                            g.rowIDs.withUnsafeBufferPointer { ids in
                                // Rows are independent, so splitting them over threads changes nothing.
                                Parallel.forEachChunk(ids.count, minimumChunk: 512) { range in
                                    for k in range {
                                        let base = Int(ids[k]) * d, from = k * d
                                        for j in 0..<d {
                                            let gi = gv[from + j], i = base + j
                                            let mi = beta1 * m[i] + (1 - beta1) * gi
                                            let vi = beta2 * v[i] + (1 - beta2) * gi * gi
                                            m[i] = mi
                                            v[i] = vi
                                            w[i] = w[i] * shrink - stepSize * mi / (vi.squareRoot() * root + epsilon)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Every row of the table, zeros where the gradient has none.
    private static func densified(_ g: RowGradient, rowCount: Int) -> RowGradient {
        if g.rowIDs.count == rowCount { return g }
        let d = g.dimension
        var values = [Float](repeating: 0, count: rowCount * d)
        for (k, row) in g.rowIDs.enumerated() {
            for j in 0..<d { values[Int(row) * d + j] = g.values[k * d + j] }
        }
        return RowGradient(dimension: d, rowIDs: (0..<Int32(rowCount)).map { $0 }, values: values)
    }
}
