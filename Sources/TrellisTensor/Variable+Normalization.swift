import CKernels
import Foundation
import TrellisCore

/// Softmax family, cross-entropy, layer norm and dropout, each fused for stability and speed.
/// All work over the last axis: a (…, C) tensor is rows of C.
extension Variable {
    /// Softmax over the last axis.
    public func softmax() -> Variable {
        let y = Self.softmaxRows(value)
        return Variable(y, inputs: [self]) { [self] g in
            // dx = y * (g - sum(g * y))
            let c = value.shape.last!
            var gx = g.data
            for r in 0..<(value.count / Swift.max(1, c)) {
                var dot: Float = 0
                for j in 0..<c { dot += g.data[r * c + j] * y.data[r * c + j] }
                for j in 0..<c { gx[r * c + j] = y.data[r * c + j] * (g.data[r * c + j] - dot) }
            }
            accumulate(Tensor(shape: value.shape, data: gx))
        }
    }

    /// log(softmax(x)) over the last axis.
    public func logSoftmax() -> Variable {
        let c = value.shape.last!
        let rows = value.count / Swift.max(1, c)
        var out = value.data
        for r in 0..<rows {
            var m = -Float.infinity
            for j in 0..<c { m = Swift.max(m, out[r * c + j]) }
            var s: Float = 0
            for j in 0..<c { s += Foundation.exp(out[r * c + j] - m) }
            let lse = m + Foundation.log(s)
            for j in 0..<c { out[r * c + j] -= lse }
        }
        let y = Tensor(shape: value.shape, data: out)
        return Variable(y, inputs: [self]) { [self] g in
            // dx = g - softmax * sum(g)
            var gx = g.data
            for r in 0..<rows {
                var total: Float = 0
                for j in 0..<c { total += g.data[r * c + j] }
                for j in 0..<c { gx[r * c + j] -= Foundation.exp(y.data[r * c + j]) * total }
            }
            accumulate(Tensor(shape: value.shape, data: gx))
        }
    }

    /// Mean cross-entropy of logits (N, C) against class ids `targets` (N); rows whose target
    /// equals `ignoring` (e.g. padding) are left out of the loss and the mean. Rows run in
    /// parallel; each row's loss is kept and summed in row order, so the result does not
    /// depend on the thread count.
    public func crossEntropy(targets: [Int32], ignoring: Int32? = nil) -> Variable {
        precondition(value.rank == 2 && value.shape[0] == targets.count,
                     "crossEntropy: logits \(value.shape) for \(targets.count) targets")
        let n = value.shape[0], c = value.shape[1]
        for t in targets where t != ignoring { precondition(t >= 0 && Int(t) < c, "crossEntropy: target \(t) out of 0..<\(c)") }
        // Softmax per counted row, then (backward) its gradient in place: one (N, C) buffer.
        var losses = [Double](repeating: 0, count: n)
        var probabilities = [Float].uninitialized(count: n * c) { pp in
            value.data.withUnsafeBufferPointer { px in losses.withUnsafeMutableBufferPointer { pl in
            guard n * c > 0 else { return }
            let (x, p, l) = (px.baseAddress!, pp.baseAddress!, pl.baseAddress!)
            Parallel.forEachChunk(n, minimumChunk: Swift.max(1, 8192 / Swift.max(1, c))) { rows in
                for r in rows {
                    let row = x + r * c, out = p + r * c
                    guard targets[r] != ignoring else { out.initialize(repeating: 0, count: c); continue }
                    let (m, s) = FastMath.exponentiate(row, into: out, c)
                    let inverse = 1 / s
                    for j in 0..<c { out[j] *= inverse }
                    l[r] = Double(m + Foundation.log(s) - row[Int(targets[r])])
                }
            }
        } } }
        let counted = targets.reduce(0) { $0 + ($1 != ignoring ? 1 : 0) }
        let scale = 1 / Float(Swift.max(1, counted))
        let loss = losses.reduce(0, +)
        return Variable(Tensor(scalar: Float(loss) * scale), inputs: [self]) { [self] g in
            // d/dx = (softmax − onehot) / counted, written over the softmax (backward runs once).
            let s = g.data[0] * scale
            probabilities.withUnsafeMutableBufferPointer { pp in
                let p = pp.baseAddress!
                Parallel.forEachChunk(n, minimumChunk: Swift.max(1, 8192 / Swift.max(1, c))) { rows in
                    for r in rows {
                        let out = p + r * c
                        guard targets[r] != ignoring else { continue }
                        for j in 0..<c { out[j] *= s }
                        out[Int(targets[r])] -= s
                    }
                }
            }
            accumulate(Tensor(shape: value.shape, data: probabilities))
        }
    }

    /// Layer normalisation over the last axis: (x - mean) / sqrt(var + eps) * gamma + beta,
    /// with gamma and beta of shape (C) (`trellis_layer_norm` and its backward, CKernels). Rows
    /// run in parallel; the gamma and beta gradients sum over rows in row order, so results do
    /// not depend on the thread count.
    public func layerNorm(gamma: Variable, beta: Variable, epsilon: Float = 1e-5) -> Variable {
        let c = value.shape.last!
        precondition(gamma.shape == [c] && beta.shape == [c], "layerNorm: gamma/beta must be [\(c)]")
        let rows = value.count / Swift.max(1, c), chunk = Swift.max(1, 4096 / Swift.max(1, c))
        // Every row of these is written below.
        var normalised = [Float].uninitialized(count: value.count) { _ in }
        var inverseStd = [Float].uninitialized(count: rows) { _ in }
        var out = [Float].uninitialized(count: value.count) { _ in }
        value.data.withUnsafeBufferPointer { px in gamma.value.data.withUnsafeBufferPointer { pg in beta.value.data.withUnsafeBufferPointer { pb in
        normalised.withUnsafeMutableBufferPointer { pn in inverseStd.withUnsafeMutableBufferPointer { pi in out.withUnsafeMutableBufferPointer { po in
            let (x, g, b, n, inv, y) = (px.baseAddress!, pg.baseAddress!, pb.baseAddress!, pn.baseAddress!, pi.baseAddress!, po.baseAddress!)
            Parallel.forEachChunk(rows, minimumChunk: chunk) { r in
                let at = r.lowerBound * c
                trellis_layer_norm(x + at, g, b, epsilon, r.count, c, n + at, inv + r.lowerBound, y + at)
            }
        } } } } } }
        return Variable(Tensor(shape: value.shape, data: out), inputs: [self, gamma, beta]) { [self] grad in
            var dGamma = [Float](repeating: 0, count: c), dBeta = [Float](repeating: 0, count: c)
            var gx = [Float].uninitialized(count: value.count) { _ in }   // every row written below
            grad.data.withUnsafeBufferPointer { pd in gamma.value.data.withUnsafeBufferPointer { pg in normalised.withUnsafeBufferPointer { pn in
            inverseStd.withUnsafeBufferPointer { pi in gx.withUnsafeMutableBufferPointer { px in
            dGamma.withUnsafeMutableBufferPointer { pdg in dBeta.withUnsafeMutableBufferPointer { pdb in
                let (d, g, n, inv, dx) = (pd.baseAddress!, pg.baseAddress!, pn.baseAddress!, pi.baseAddress!, px.baseAddress!)
                // dxhat = d * gamma; dx = inv/C * (C*dxhat - sum(dxhat) - xhat*sum(dxhat*xhat))
                Parallel.forEachChunk(rows, minimumChunk: chunk) { r in
                    let at = r.lowerBound * c
                    trellis_layer_norm_backward(d + at, g, n + at, inv + r.lowerBound, r.count, c, dx + at)
                }
                FastMath.addColumns(d, n, rows: rows, width: c, into: pdg.baseAddress!)
                FastMath.addColumns(d, nil, rows: rows, width: c, into: pdb.baseAddress!)
            } } } } } } }
            accumulate(Tensor(shape: value.shape, data: gx))
            gamma.accumulate(Tensor(shape: [c], data: dGamma))
            beta.accumulate(Tensor(shape: [c], data: dBeta))
        }
    }

    /// n keep flags (1 kept, 0 dropped with probability `rate`), two per 64-bit draw of `rng`
    /// (32 bits each): kept as bytes for the backward pass, a quarter of a float mask (105 MB
    /// per feed-forward layer at 2,048 sequences of 50).
    static func dropoutMask(_ n: Int, rate: Float, using rng: inout SeededGenerator) -> [UInt8] {
        let threshold = UInt64(Double(rate) * 4_294_967_296)
        return [UInt8](unsafeUninitializedCapacity: n) { pm, initialised in
            var i = 0
            while i + 1 < n {
                let bits = rng.next()
                pm[i] = bits & 0xFFFF_FFFF < threshold ? 0 : 1
                pm[i + 1] = bits >> 32 < threshold ? 0 : 1
                i += 2
            }
            if i < n { pm[i] = rng.next() & 0xFFFF_FFFF < threshold ? 0 : 1 }
            initialised = n
        }
    }

    /// out[i] = x[i] · keep where mask[i] is 1, x[i] · 0 (the sign and NaN of x carry) where it
    /// is 0, over n values on the compute threads (`trellis_apply_mask`).
    static func applyMask(_ x: UnsafePointer<Float>?, _ mask: UnsafePointer<UInt8>?, _ out: UnsafeMutablePointer<Float>?, _ n: Int, keep: Float) {
        guard n > 0, let x, let mask, let out else { return }
        Parallel.forEachChunk(n, minimumChunk: 1 << 15) { r in
            trellis_apply_mask(x + r.lowerBound, mask + r.lowerBound, keep, out + r.lowerBound, r.count)
        }
    }

    /// Inverted dropout: zeroes each element with probability `rate` and scales the rest by
    /// 1/(1-rate); the identity when not `training` or rate is 0.
    public func dropout(rate: Float, training: Bool, using rng: inout SeededGenerator) -> Variable {
        guard training, rate > 0 else { return self }
        precondition(rate < 1, "dropout rate must be < 1")
        let keep = 1 / (1 - rate)
        let n = value.count
        let mask = Self.dropoutMask(n, rate: rate, using: &rng)
        let y = [Float].uninitialized(count: n) { py in
            value.data.withUnsafeBufferPointer { px in mask.withUnsafeBufferPointer { pm in
                Self.applyMask(px.baseAddress, pm.baseAddress, py.baseAddress, n, keep: keep)
            } }
        }
        let shape = value.shape
        return Variable(Tensor(shape: shape, data: y), inputs: [self]) { [self] g in
            let dx = [Float].uninitialized(count: n) { out in
                g.data.withUnsafeBufferPointer { pg in mask.withUnsafeBufferPointer { pm in
                    Self.applyMask(pg.baseAddress, pm.baseAddress, out.baseAddress, n, keep: keep)
                } }
            }
            accumulate(Tensor(shape: shape, data: dx))
        }
    }

    static func softmaxRows(_ t: Tensor) -> Tensor {
        let c = t.shape.last!
        var out = t.data
        for r in 0..<(t.count / Swift.max(1, c)) {
            var m = -Float.infinity
            for j in 0..<c { m = Swift.max(m, out[r * c + j]) }
            var s: Float = 0
            for j in 0..<c { let e = Foundation.exp(out[r * c + j] - m); out[r * c + j] = e; s += e }
            for j in 0..<c { out[r * c + j] /= s }
        }
        return Tensor(shape: t.shape, data: out)
    }
}
