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
    /// equals `ignoring` (e.g. padding) are left out of the loss and the mean.
    public func crossEntropy(targets: [Int32], ignoring: Int32? = nil) -> Variable {
        precondition(value.rank == 2 && value.shape[0] == targets.count,
                     "crossEntropy: logits \(value.shape) for \(targets.count) targets")
        let n = value.shape[0], c = value.shape[1]
        var probabilities = [Float](repeating: 0, count: n * c)
        var loss: Double = 0
        var counted = 0
        value.data.withUnsafeBufferPointer { x in
            for r in 0..<n where targets[r] != ignoring {
                let t = Int(targets[r])
                precondition(t >= 0 && t < c, "crossEntropy: target \(t) out of 0..<\(c)")
                var m = -Float.infinity
                for j in 0..<c { m = Swift.max(m, x[r * c + j]) }
                var s: Float = 0
                for j in 0..<c { let e = Foundation.exp(x[r * c + j] - m); probabilities[r * c + j] = e; s += e }
                for j in 0..<c { probabilities[r * c + j] /= s }
                loss += Double(m + Foundation.log(s) - x[r * c + t])
                counted += 1
            }
        }
        let scale = 1 / Float(Swift.max(1, counted))
        return Variable(Tensor(scalar: Float(loss) * scale), inputs: [self]) { [self] g in
            // d/dx = (softmax - onehot) / counted
            let s = g.data[0] * scale
            var gx = [Float](repeating: 0, count: n * c)
            for r in 0..<n where targets[r] != ignoring {
                for j in 0..<c { gx[r * c + j] = probabilities[r * c + j] * s }
                gx[r * c + Int(targets[r])] -= s
            }
            accumulate(Tensor(shape: value.shape, data: gx))
        }
    }

    /// Layer normalisation over the last axis: (x - mean) / sqrt(var + eps) * gamma + beta,
    /// with gamma and beta of shape (C).
    public func layerNorm(gamma: Variable, beta: Variable, epsilon: Float = 1e-5) -> Variable {
        let c = value.shape.last!
        precondition(gamma.shape == [c] && beta.shape == [c], "layerNorm: gamma/beta must be [\(c)]")
        let rows = value.count / Swift.max(1, c)
        var normalised = [Float](repeating: 0, count: value.count)
        var inverseStd = [Float](repeating: 0, count: rows)
        var out = [Float](repeating: 0, count: value.count)
        for r in 0..<rows {
            var mean: Float = 0
            for j in 0..<c { mean += value.data[r * c + j] }
            mean /= Float(c)
            var variance: Float = 0
            for j in 0..<c { let d = value.data[r * c + j] - mean; variance += d * d }
            variance /= Float(c)
            let inv = 1 / (variance + epsilon).squareRoot()
            inverseStd[r] = inv
            for j in 0..<c {
                let xhat = (value.data[r * c + j] - mean) * inv
                normalised[r * c + j] = xhat
                out[r * c + j] = xhat * gamma.value.data[j] + beta.value.data[j]
            }
        }
        return Variable(Tensor(shape: value.shape, data: out), inputs: [self, gamma, beta]) { [self] g in
            var dGamma = [Float](repeating: 0, count: c), dBeta = [Float](repeating: 0, count: c)
            var gx = [Float](repeating: 0, count: value.count)
            for r in 0..<rows {
                // dxhat = g * gamma; dx = inv/C * (C*dxhat - sum(dxhat) - xhat*sum(dxhat*xhat))
                var sum: Float = 0, sumX: Float = 0
                for j in 0..<c {
                    let i = r * c + j
                    let dxhat = g.data[i] * gamma.value.data[j]
                    sum += dxhat; sumX += dxhat * normalised[i]
                    dGamma[j] += g.data[i] * normalised[i]
                    dBeta[j] += g.data[i]
                }
                let inv = inverseStd[r]
                for j in 0..<c {
                    let i = r * c + j
                    let dxhat = g.data[i] * gamma.value.data[j]
                    gx[i] = inv / Float(c) * (Float(c) * dxhat - sum - normalised[i] * sumX)
                }
            }
            accumulate(Tensor(shape: value.shape, data: gx))
            gamma.accumulate(Tensor(shape: [c], data: dGamma))
            beta.accumulate(Tensor(shape: [c], data: dBeta))
        }
    }

    /// Inverted dropout: zeroes each element with probability `rate` and scales the rest by
    /// 1/(1-rate); the identity when not `training` or rate is 0.
    public func dropout(rate: Float, training: Bool, using rng: inout SeededGenerator) -> Variable {
        guard training, rate > 0 else { return self }
        precondition(rate < 1, "dropout rate must be < 1")
        let keep = 1 / (1 - rate)
        var mask = [Float](repeating: 0, count: value.count)
        for i in 0..<mask.count { mask[i] = rng.nextFloat() < rate ? 0 : keep }
        let m = Tensor(shape: value.shape, data: mask)
        return Variable(value.zip(m, *), inputs: [self]) { [self] g in accumulate(g.zip(m, *)) }
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
