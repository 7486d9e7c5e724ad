import XCTest
import TrellisCore
import TrellisTensor
import TestSupport

/// A finite-difference check for every differentiable op.
final class GradientCheckTests: XCTestCase {
    private func x(_ shape: [Int], _ seed: UInt64) -> Tensor { GradientCheck.input(shape, seed: seed) }

    // MARK: Arithmetic and broadcasting

    func testAddSubMulDivSameShape() {
        GradientCheck.check([x([3, 4], 1), x([3, 4], 2)]) { $0[0] + $0[1] }
        GradientCheck.check([x([3, 4], 1), x([3, 4], 2)]) { $0[0] - $0[1] }
        GradientCheck.check([x([3, 4], 1), x([3, 4], 2)]) { $0[0] * $0[1] }
        GradientCheck.check([x([3, 4], 1), GradientCheck.input([3, 4], low: 0.5, high: 2, seed: 2)]) { $0[0] / $0[1] }
    }

    func testBroadcastSuffixScalarAndGeneral() {
        GradientCheck.check([x([3, 4], 1), x([4], 2)]) { $0[0] + $0[1] }
        GradientCheck.check([x([3, 4], 1), x([1], 2)]) { $0[0] * $0[1] }
        GradientCheck.check([x([3, 1], 1), x([1, 4], 2)]) { $0[0] * $0[1] }
        GradientCheck.check([x([2, 3, 4], 1), x([3, 1], 2)]) { $0[0] - $0[1] }
        GradientCheck.check([x([4], 1), x([2, 4], 2)]) { $0[0] / ($0[1] * $0[1] + 1) }
    }

    func testScalarOpsAndNegation() {
        GradientCheck.check([x([5], 1)]) { -($0[0] * 3 + 1) / 2 - 0.5 }
    }

    // MARK: Matmul

    func testMatmulAllTransposes() {
        for (ta, tb) in [(false, false), (false, true), (true, false), (true, true)] {
            let a = ta ? x([4, 3], 1) : x([3, 4], 1)
            let b = tb ? x([5, 4], 2) : x([4, 5], 2)
            GradientCheck.check([a, b]) { $0[0].matmul($0[1], transposeSelf: ta, transposeOther: tb) }
        }
    }

    func testBatchedMatmul() {
        GradientCheck.check([x([2, 3, 4], 1), x([2, 4, 5], 2)]) { $0[0].matmul($0[1]) }
        GradientCheck.check([x([2, 3, 4], 1), x([4, 5], 2)]) { $0[0].matmul($0[1]) }
        GradientCheck.check([x([2, 3, 4], 1), x([2, 5, 4], 2)]) { $0[0].matmul($0[1], transposeOther: true) }
        GradientCheck.check([x([1, 3, 4], 1), x([2, 4, 5], 2)]) { $0[0].matmul($0[1]) }
        GradientCheck.check([x([3, 4], 1), x([2, 4, 5], 2)]) { $0[0].matmul($0[1]) }
    }

    /// `linear` (one node) by finite differences, and bit for bit the product-plus-bias
    /// graph it replaces: values and every gradient.
    func testLinearIsTheProductPlusBias() {
        GradientCheck.check([x([5, 4], 1), x([3, 4], 2), x([3], 3)]) { $0[0].linear(weight: $0[1], bias: $0[2]) }
        GradientCheck.check([x([2, 5, 4], 1), x([3, 4], 2)]) { $0[0].linear(weight: $0[1], bias: nil) }
        let seed = x([300, 3], 9)
        func run(_ fused: Bool) -> [Tensor] {
            let (a, w, b) = (Variable(x([300, 4], 1), requiresGrad: true), Variable(x([3, 4], 2), requiresGrad: true), Variable(x([3], 3), requiresGrad: true))
            let y = fused ? a.linear(weight: w, bias: b) : a.matmul(w, transposeOther: true) + b
            y.backward(seed: seed)
            return [y.value, a.grad!, w.grad!, b.grad!]
        }
        XCTAssertEqual(run(true), run(false))
        // A SASRec feed-forward's inner width (256): the bias is where the product starts; 67
        // outputs sum their bias gradient in four groups of 16 columns and three alone.
        func wide(_ fused: Bool) -> [Tensor] {
            let (a, w, b) = (Variable(x([300, 256], 4), requiresGrad: true), Variable(x([67, 256], 5), requiresGrad: true),
                             Variable(x([67], 6), requiresGrad: true))
            let y = fused ? a.linear(weight: w, bias: b) : a.matmul(w, transposeOther: true) + b
            y.backward(seed: x([300, 67], 7))
            return [y.value, a.grad!, w.grad!, b.grad!]
        }
        XCTAssertEqual(wide(true), wide(false))
    }

    /// A backward that releases the graph as it goes gives the same gradients, keeps the
    /// loss and the leaves, and has dropped every intermediate value.
    func testReleasingBackwardGivesTheSameGradients() {
        func run(_ releasing: Bool) -> (grads: [Tensor], loss: Tensor, hidden: Variable, weight: Variable) {
            let w1 = Variable(x([4, 6], 1), requiresGrad: true), w2 = Variable(x([6, 1], 2), requiresGrad: true)
            let hidden = Variable(x([5, 4], 3)).matmul(w1).gelu()
            let loss = (hidden.matmul(w2).sigmoid() * hidden.sum(axis: 1).reshaped([5, 1])).sum()
            loss.backward(releasing: releasing)
            return ([w1.grad!, w2.grad!], loss.value, hidden, w1)
        }
        let kept = run(false), released = run(true)
        XCTAssertEqual(released.grads, kept.grads)
        XCTAssertEqual(released.loss, kept.loss)
        XCTAssertEqual(released.weight.value, kept.weight.value)
        XCTAssertEqual(kept.hidden.value.count, 30)
        XCTAssertEqual(released.hidden.value.count, 0, "an intermediate's value is dropped")
    }

    // MARK: Activations

    func testActivations() {
        GradientCheck.check([x([12], 3)]) { $0[0].relu() }
        GradientCheck.check([x([12], 3)]) { $0[0].leakyRelu(slope: 0.2) }
        GradientCheck.check([x([12], 3)]) { $0[0].gelu() }
        GradientCheck.check([x([12], 3)]) { $0[0].sigmoid() }
        GradientCheck.check([x([12], 3)]) { $0[0].tanh() }
        GradientCheck.check([x([12], 3)]) { $0[0].exp() }
        GradientCheck.check([GradientCheck.input([12], low: 0.3, high: 3, seed: 3)]) { $0[0].log() }
        GradientCheck.check([GradientCheck.input([12], low: 0.3, high: 3, seed: 3)]) { $0[0].sqrt() }
        GradientCheck.check([x([12], 3)]) { $0[0].softplus() }
        GradientCheck.check([x([12], 3)]) { $0[0].logSigmoid() }
        GradientCheck.check([x([12], 3)]) { $0[0].square() }
    }

    // MARK: Reductions

    func testReductions() {
        GradientCheck.check([x([3, 4], 4)]) { $0[0].sum() }
        GradientCheck.check([x([3, 4], 4)]) { $0[0].mean() }
        GradientCheck.check([x([2, 3, 4], 4)]) { $0[0].sum(axis: 1) }
        GradientCheck.check([x([2, 3, 4], 4)]) { $0[0].sum(axis: -1, keepDims: true) }
        GradientCheck.check([x([2, 3, 4], 4)]) { $0[0].mean(axis: 0) }
        GradientCheck.check([x([2, 3, 4], 4)]) { $0[0].max(axis: 1) }
        GradientCheck.check([x([3, 5], 4)]) { $0[0].max(axis: -1) }
    }

    // MARK: Indexing and segments

    func testGatherAndScatter() {
        GradientCheck.check([x([5, 3], 5)]) { $0[0].gather(rows: [4, 0, 4, 2]) }
        GradientCheck.check([x([4, 3], 5)]) { $0[0].scatterAdd(rows: [1, 0, 1, 3], rowCount: 5) }
    }

    func testSegmentReductions() {
        let segments: [Int32] = [0, 2, 0, 1, 2, 2]
        GradientCheck.check([x([6, 3], 6)]) { $0[0].segmentSum(segments, segmentCount: 4) }
        GradientCheck.check([x([6, 3], 6)]) { $0[0].segmentMax(segments, segmentCount: 4) }
        GradientCheck.check([x([6, 2], 6)]) { $0[0].segmentSoftmax(segments, segmentCount: 4) }
    }

    func testSparseMatmul() {
        let a = SparseMatrix(rowCount: 3, columnCount: 4, rows: [0, 0, 1, 2, 2], columns: [1, 3, 0, 2, 3],
                             values: [0.5, -1, 2, 0.25, 1.5])
        GradientCheck.check([x([4, 3], 7)]) { Variable.spmm(a, $0[0]) }
        GradientCheck.check([x([4, 16], 7)]) { Variable.spmm(a, $0[0]) }   // the SIMD path
    }

    func testPropagationMean() {
        let a = SparseMatrix(rowCount: 4, columnCount: 4, rows: [0, 0, 1, 2, 3, 3], columns: [1, 3, 0, 2, 0, 1],
                             values: [0.5, -1, 2, 0.25, 1.5, 0.3])
        for width in [3, 16] {
            for layers in [0, 1, 3] {
                GradientCheck.check([x([4, width], 7)]) { Variable.propagationMean(a, $0[0], layers: layers) }
            }
        }
    }

    // MARK: Softmax family and normalisation

    func testSoftmaxFamily() {
        GradientCheck.check([x([3, 5], 8)]) { $0[0].softmax() }
        GradientCheck.check([x([3, 5], 8)]) { $0[0].logSoftmax() }
        GradientCheck.check([x([4, 5], 8)]) { $0[0].crossEntropy(targets: [1, 4, 0, 2]) }
        GradientCheck.check([x([4, 5], 8)]) { $0[0].crossEntropy(targets: [1, 0, 0, 2], ignoring: 0) }
    }

    /// The output layer and its loss as one node: by finite differences, and against the
    /// product and `crossEntropy` it replaces over rows that take several chunks.
    func testCrossEntropyScoredAgainstATable() {
        GradientCheck.check([x([4, 3], 8), x([6, 3], 9)]) { $0[0].crossEntropy(scoredAgainst: $0[1], targets: [5, 0, 2, 2]) }
        GradientCheck.check([x([5, 3], 8), x([6, 3], 9)]) { ($0[0].crossEntropy(scoredAgainst: $0[1], targets: [1, 0, 3, 2, 5])) * 2.5 }
        // 2,000 items: chunks of 131 rows, three of them; 20,000: one product over all rows.
        for (T, I) in [(300, 2_000), (40, 20_000)] {
            let targets = (0..<T).map { Int32($0 * 499 % I) }
            func run(_ fused: Bool) -> [Tensor] {
                let h = Variable(x([T, 8], 10), requiresGrad: true), e = Variable(x([I, 8], 11), requiresGrad: true)
                let loss = fused ? h.crossEntropy(scoredAgainst: e, targets: targets)
                                 : h.matmul(e, transposeOther: true).crossEntropy(targets: targets)
                (loss * 3).backward()
                return [loss.value, h.grad!, e.grad!]
            }
            let (fused, plain) = (run(true), run(false))
            for (a, b) in zip(fused, plain) {
                XCTAssertEqual(a.shape, b.shape)
                for (u, v) in zip(a.data, b.data) { XCTAssertEqual(u, v, accuracy: 1e-6 + 1e-5 * abs(v), "\(I) items") }
            }
        }
    }

    func testLayerNorm() {
        GradientCheck.check([x([3, 6], 9), x([6], 10), x([6], 11)]) {
            $0[0].layerNorm(gamma: $0[1], beta: $0[2])
        }
    }

    func testDropoutIsLinearGivenItsMask() {
        // Same seed inside f gives the same mask on every evaluation.
        GradientCheck.check([x([4, 5], 12)]) { v in
            var rng = SeededGenerator(seed: 5)
            return v[0].dropout(rate: 0.3, training: true, using: &rng)
        }
    }

    /// `geluDropout` (one node) by finite differences, and `gelu().dropout()`: the values and
    /// the generator's state bit for bit, the gradient to rounding (the node multiplies by its
    /// kept dropped(slope) once where the pair scaled and multiplied in turn).
    func testGeluDropoutIsGeluThenDropout() {
        GradientCheck.check([x([4, 5], 12)]) { v in
            var rng = SeededGenerator(seed: 5)
            return v[0].geluDropout(rate: 0.3, training: true, using: &rng)
        }
        let seed = x([7, 5], 8)
        func run(_ fused: Bool) -> [Tensor] {
            var rng = SeededGenerator(seed: 5)
            let a = Variable(x([7, 5], 1), requiresGrad: true)
            let y = fused ? a.geluDropout(rate: 0.3, training: true, using: &rng) : a.gelu().dropout(rate: 0.3, training: true, using: &rng)
            y.backward(seed: seed)
            return [y.value, a.grad!, Tensor(shape: [1], data: [Float(rng.next() % 1000)])]
        }
        let (fused, pair) = (run(true), run(false))
        XCTAssertEqual(fused[0], pair[0])
        XCTAssertEqual(fused[2], pair[2])
        XCTAssertEqual(fused[1].shape, pair[1].shape)
        for (u, v) in zip(fused[1].data, pair[1].data) { XCTAssertEqual(u, v, accuracy: 1e-6 * Swift.max(1, abs(v))) }
        XCTAssertEqual(fused[1].data.map { $0 == 0 }, pair[1].data.map { $0 == 0 })
        var rng = SeededGenerator(seed: 5)
        XCTAssertEqual(Variable(x([3], 1)).geluDropout(rate: 0.3, training: false, using: &rng).value, Variable(x([3], 1)).gelu().value)
    }

    // MARK: Shape ops

    func testShapeOps() {
        GradientCheck.check([x([2, 6], 13)]) { $0[0].reshaped([3, -1]) * $0[0].reshaped([3, 4]) }
        GradientCheck.check([x([2, 3, 4], 13)]) { $0[0].transposed() }
        GradientCheck.check([x([2, 3], 13), x([2, 2], 14)]) { Variable.concat([$0[0], $0[1]], axis: 1) }
        GradientCheck.check([x([2, 3], 13), x([1, 3], 14)]) { Variable.concat([$0[0], $0[1]], axis: 0) }
        GradientCheck.check([x([2, 5], 13)]) { v in
            let parts = v[0].split(sizes: [2, 3], axis: 1)
            return parts[0].sum(axis: 1) * parts[1].sum(axis: 1)
        }
    }

    // MARK: Fused ranking ops

    func testBPRLoss() {
        // Separate user and item tables, rows repeating.
        GradientCheck.check([x([3, 4], 19), x([5, 4], 20)]) {
            Variable.bprLoss(users: $0[0], items: $0[1], userRows: [0, 2, 0, 1], positiveRows: [1, 4, 1, 0],
                             negativeRows: [3, 3, 2, 4])
        }
        // One joint table for users and items (LightGCN): both gradients land in it.
        GradientCheck.check([x([6, 3], 21)]) {
            Variable.bprLoss(users: $0[0], items: $0[0], userRows: [0, 1, 0], positiveRows: [3, 4, 5], negativeRows: [5, 2, 4])
        }
    }

    func testBPRLossEqualsUnfusedForm() {
        let u = Variable(x([3, 4], 22)), i = Variable(x([5, 4], 23))
        let users: [Int32] = [0, 2, 1], pos: [Int32] = [1, 4, 0], neg: [Int32] = [3, 3, 2]
        let unfused = ((u.gather(rows: users) * i.gather(rows: neg)).sum(axis: 1)
                       - (u.gather(rows: users) * i.gather(rows: pos)).sum(axis: 1)).softplus().mean()
        let fused = Variable.bprLoss(users: u, items: i, userRows: users, positiveRows: pos, negativeRows: neg)
        XCTAssertEqual(fused.value.scalar, unfused.value.scalar, accuracy: 1e-6)
    }

    func testSquaredNormSum() {
        GradientCheck.check([x([4, 3], 24)]) { $0[0].squaredNormSum(rows: [0, 3, 3, 1]) }
    }

    // MARK: Composition

    func testTwoLayerNetwork() {
        GradientCheck.check([x([4, 3], 15), x([3, 5], 16), x([5], 17), x([5, 2], 18)]) { v in
            (v[0].matmul(v[1]) + v[2]).tanh().matmul(v[3]).logSoftmax()
        }
    }
}
