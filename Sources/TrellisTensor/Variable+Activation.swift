import CKernels
import Foundation
import TrellisCore

/// Element-wise non-linearities. Each pullback multiplies the incoming gradient by the
/// derivative evaluated at the forward input (or output, where cheaper).
extension Variable {
    /// Applies `f` forward and `g * df(x, y)` backward, with x the input and y the output.
    @inline(__always)
    private func unary(_ f: (Float) -> Float, derivative: @escaping (Float, Float) -> Float) -> Variable {
        let x = value
        let y = x.map(f)
        return Variable(y, inputs: [self]) { [self] g in
            var out = g.data
            x.data.withUnsafeBufferPointer { px in
                y.data.withUnsafeBufferPointer { py in
                    out.withUnsafeMutableBufferPointer { po in
                        for i in 0..<po.count { po[i] *= derivative(px[i], py[i]) }
                    }
                }
            }
            accumulate(Tensor(shape: g.shape, data: out))
        }
    }

    /// max(0, x).
    public func relu() -> Variable {
        unary({ Swift.max(0, $0) }, derivative: { x, _ in x > 0 ? 1 : 0 })
    }

    /// x for x > 0, slope * x otherwise (GAT uses slope 0.2).
    public func leakyRelu(slope: Float = 0.01) -> Variable {
        unary({ $0 > 0 ? $0 : slope * $0 }, derivative: { x, _ in x > 0 ? 1 : slope })
    }

    /// Gaussian error linear unit, tanh approximation (as in GPT-2 and SASRec code), by
    /// `trellis_gelu` (CKernels):
    ///
    ///     y = x/2 · (1 + t),  t = tanh(u),  u = c(x + 0.044715 x³)
    ///     dy/dx = (1 + t)/2 + x/2 · (1 − t²) · c(1 + 3·0.044715 x²)
    ///
    /// computed from e = e^2u and r = 1 / (e + 1), one exponential and one division: 1 + t = 2er
    /// and 1 − t² = 4er², so y = x·er and dy/dx = er · (1 + 2xr · c(1 + 3·0.044715 x²)).
    public func gelu() -> Variable {
        let x = value.data, n = x.count
        // The slope is computed again in the backward pass rather than kept: one (N, hidden)
        // tensor less per feed-forward layer, for a vectorised exponential per value.
        let y = [Float].uninitialized(count: n) { py in
            x.withUnsafeBufferPointer { px in
                guard n > 0 else { return }
                let (xb, yb) = (px.baseAddress!, py.baseAddress!)
                Parallel.forEachChunk(n, minimumChunk: 1 << 15) { r in
                    trellis_gelu(xb + r.lowerBound, yb + r.lowerBound, nil, r.count)
                }
            }
        }
        return Variable(Tensor(shape: value.shape, data: y), inputs: [self]) { [self] g in
            var out = g.data
            x.withUnsafeBufferPointer { px in out.withUnsafeMutableBufferPointer { po in
                guard n > 0 else { return }
                let (xb, ob) = (px.baseAddress!, po.baseAddress!)
                Parallel.forEachChunk(n, minimumChunk: 1 << 15) { r in
                    trellis_gelu_backward(xb + r.lowerBound, ob + r.lowerBound, r.count)
                }
            } }
            accumulate(Tensor(shape: g.shape, data: out))
        }
    }

    /// `gelu().dropout(rate:training:using:)` as one node, forward bit for bit (the same
    /// draws, the same products). The forward pass keeps each value's derivative through both,
    /// dropped(GELU'(x), mask), and not x: the backward pass is one product per value instead
    /// of a second exponential, and the GELU output, which only the dropout read, is never kept.
    public func geluDropout(rate: Float, training: Bool, using rng: inout SeededGenerator) -> Variable {
        guard training, rate > 0 else { return gelu() }
        precondition(rate < 1, "dropout rate must be < 1")
        let keep = 1 / (1 - rate)
        let x = value.data, n = x.count
        let mask = Self.dropoutMask(n, rate: rate, using: &rng)
        var slope = [Float].uninitialized(count: n) { _ in }
        let y = [Float].uninitialized(count: n) { py in
            x.withUnsafeBufferPointer { px in mask.withUnsafeBufferPointer { pm in slope.withUnsafeMutableBufferPointer { ps in
                guard n > 0 else { return }
                let (xb, mb, yb, sb) = (px.baseAddress!, pm.baseAddress!, py.baseAddress!, ps.baseAddress!)
                Parallel.forEachChunk(n, minimumChunk: 1 << 15) { r in
                    let i = r.lowerBound
                    trellis_gelu_dropout(xb + i, mb + i, keep, yb + i, sb + i, r.count)
                }
            } } }
        }
        let derivative = slope
        return Variable(Tensor(shape: value.shape, data: y), inputs: [self]) { [self] g in
            let dx = [Float].uninitialized(count: n) { po in
                g.data.withUnsafeBufferPointer { pg in derivative.withUnsafeBufferPointer { ps in
                    guard n > 0 else { return }
                    let (gb, sb, ob) = (pg.baseAddress!, ps.baseAddress!, po.baseAddress!)
                    Parallel.forEachChunk(n, minimumChunk: 1 << 15) { range in
                        for i in range { ob[i] = gb[i] * sb[i] }
                    }
                } }
            }
            accumulate(Tensor(shape: g.shape, data: dx))
        }
    }

    /// 1 / (1 + e^-x), computed without overflow.
    public func sigmoid() -> Variable {
        unary(Self.stableSigmoid, derivative: { _, y in y * (1 - y) })
    }

    /// Hyperbolic tangent.
    public func tanh() -> Variable {
        unary({ Foundation.tanh($0) }, derivative: { _, y in 1 - y * y })
    }

    /// e^x.
    public func exp() -> Variable {
        unary({ Foundation.exp($0) }, derivative: { _, y in y })
    }

    /// Natural log.
    public func log() -> Variable {
        unary({ Foundation.log($0) }, derivative: { x, _ in 1 / x })
    }

    /// log(1 + e^x), stable for large |x|. BPR's loss is softplus(neg - pos).
    public func softplus() -> Variable {
        unary({ x in x > 0 ? x + Foundation.log1p(Foundation.exp(-x)) : Foundation.log1p(Foundation.exp(x)) },
              derivative: { x, _ in Self.stableSigmoid(x) })
    }

    /// log(sigmoid(x)) = -softplus(-x).
    public func logSigmoid() -> Variable {
        unary({ x in x < 0 ? x - Foundation.log1p(Foundation.exp(x)) : -Foundation.log1p(Foundation.exp(-x)) },
              derivative: { x, _ in 1 - Self.stableSigmoid(x) })
    }

    /// x^2.
    public func square() -> Variable {
        unary({ $0 * $0 }, derivative: { x, _ in 2 * x })
    }

    /// sqrt(x).
    public func sqrt() -> Variable {
        unary({ $0.squareRoot() }, derivative: { _, y in 0.5 / y })
    }

    @inline(__always)
    static func stableSigmoid(_ x: Float) -> Float {
        if x >= 0 { return 1 / (1 + Foundation.exp(-x)) }
        let e = Foundation.exp(x)
        return e / (1 + e)
    }
}
