import XCTest
import TrellisTensor
import TestSupport

/// Optimizer steps against values worked out by hand.
final class OptimizerTests: XCTestCase {
    func testSGDWithMomentum() {
        let p = Variable(Tensor(shape: [2], data: [1, -1]), requiresGrad: true, name: "p")
        let sgd = SGD(learningRate: 0.1, momentum: 0.9)
        p.grad = Tensor(shape: [2], data: [1, 2])
        sgd.step([p])   // v = g = [1, 2]; p = [1 - 0.1, -1 - 0.2]
        assertClose(p.value.data, [0.9, -1.2])
        sgd.step([p])   // v = 0.9 * [1,2] + [1,2] = [1.9, 3.8]; p -= 0.1 v
        assertClose(p.value.data, [0.71, -1.58])
    }

    func testAdamFirstTwoSteps() {
        // Step 1: m = 0.1 g, v = 0.001 g^2; mhat = g, vhat = g^2 -> p -= lr * g/(|g| + eps) = lr * sign(g).
        let p = Variable(Tensor(shape: [2], data: [0.5, 0.5]), requiresGrad: true, name: "p")
        let adam = Adam(learningRate: 0.01)
        p.grad = Tensor(shape: [2], data: [2, -0.5])
        adam.step([p])
        assertClose(p.value.data, [0.49, 0.51], accuracy: 1e-6)
        // Step 2 with g = [1, -0.5]: m = 0.9*0.2 + 0.1*1 = 0.28, v = 0.999*0.004 + 0.001*1 = 0.004996
        // mhat = 0.28/0.19 = 1.473684, vhat = 0.004996/0.001999 = 2.499250; step = 0.01 * 1.473684/1.580902 = 0.0093218
        p.grad = Tensor(shape: [2], data: [1, -0.5])
        adam.step([p])
        XCTAssertEqual(p.value.data[0], 0.49 - 0.0093218, accuracy: 1e-6)
        XCTAssertEqual(p.value.data[1], 0.52, accuracy: 1e-6)  // constant g: step is exactly lr * sign
    }

    func testAdamWDecouplesDecay() {
        // w = 1, g = 0: Adam's update is 0, AdamW still shrinks w by lr * wd * w.
        let p = Variable(Tensor(shape: [1], data: [1]), requiresGrad: true, name: "p")
        let adamW = Adam.adamW(learningRate: 0.1, weightDecay: 0.5)
        p.grad = Tensor(shape: [1], data: [0])
        adamW.step([p])
        XCTAssertEqual(p.value.data[0], 0.95, accuracy: 1e-6)
        // Coupled L2: the decay enters the gradient (g = 0.5), so the first step is lr * sign = 0.1.
        let q = Variable(Tensor(shape: [1], data: [1]), requiresGrad: true, name: "q")
        let adam = Adam(learningRate: 0.1, weightDecay: 0.5)
        q.grad = Tensor(shape: [1], data: [0])
        adam.step([q])
        XCTAssertEqual(q.value.data[0], 0.9, accuracy: 1e-5)
    }

    func testLazyAdamTouchesOnlyPresentRows() {
        let table = EmbeddingTable(name: "t", weights: Tensor(shape: [3, 2], repeating: 1))
        let opt = LazyAdam(learningRate: 0.1)
        table.setGradient(RowGradient(dimension: 2, rowIDs: [2], values: [0.5, -3]))
        opt.step([table])
        assertClose(table.weights.data, [1, 1, 1, 1, 0.9, 1.1], accuracy: 1e-6)
        XCTAssertEqual(opt.moments.first["t"]![0], 0, "untouched rows keep zero moments")
    }

    func testLazyAdamEqualsAdamWhenAllRowsPresent() {
        let table = EmbeddingTable(name: "t", weights: Tensor(shape: [2, 2], data: [1, 2, 3, 4]))
        let p = Variable(Tensor(shape: [2, 2], data: [1, 2, 3, 4]), requiresGrad: true, name: "t")
        let lazy = LazyAdam(learningRate: 0.05), adam = Adam(learningRate: 0.05)
        for step in 0..<3 {
            let g: [Float] = [0.1 * Float(step + 1), -0.2, 0.3, 0.05 * Float(step)]
            table.setGradient(RowGradient(dimension: 2, rowIDs: [0, 1], values: g))
            p.grad = Tensor(shape: [2, 2], data: g)
            lazy.step([table]); adam.step([p])
        }
        assertClose(table.weights.data, p.value.data, accuracy: 1e-6)
    }

    func testDenseTableAdamKeepsMovingAbsentRows() {
        // Step 1 touches row 0 only; step 2 touches nothing in row 0, yet its momentum moves it.
        let table = EmbeddingTable(name: "t", weights: Tensor(shape: [2, 1], data: [1, 1]))
        let p = Variable(Tensor(shape: [2, 1], data: [1, 1]), requiresGrad: true, name: "t")
        let dense = LazyAdam(learningRate: 0.1, lazy: false), reference = Adam(learningRate: 0.1)
        for g: [Float] in [[0.5, 0], [0, 0.25]] {
            table.setGradient(RowGradient(dimension: 1, rowIDs: g[0] != 0 ? [0] : [1], values: [g[0] != 0 ? g[0] : g[1]]))
            p.grad = Tensor(shape: [2, 1], data: g)
            dense.step([table]); reference.step([p])
        }
        assertClose(table.weights.data, p.value.data, accuracy: 1e-6)
        XCTAssertNotEqual(table.weights.data[0], 0.9, "row 0 moved again in step 2")
    }

    /// AdamW on a table: PyTorch's AdamW decays every parameter, embeddings included, so the
    /// dense table optimizer with `decay` moves as AdamW on the same weights as one variable.
    func testDenseTableAdamWEqualsAdamW() {
        let table = EmbeddingTable(name: "t", weights: Tensor(shape: [2, 2], data: [1, 2, 3, 4]))
        let p = Variable(Tensor(shape: [2, 2], data: [1, 2, 3, 4]), requiresGrad: true, name: "t")
        let rows = LazyAdam(learningRate: 0.05, lazy: false, decay: 0.1), reference = Adam.adamW(learningRate: 0.05, weightDecay: 0.1)
        for step in 0..<3 {
            let g: [Float] = [0.1 * Float(step + 1), -0.2, 0, 0]
            table.setGradient(RowGradient(dimension: 2, rowIDs: [0], values: Array(g[0..<2])))
            p.grad = Tensor(shape: [2, 2], data: g)
            rows.step([table]); reference.step([p])
        }
        assertClose(table.weights.data, p.value.data, accuracy: 1e-6)
        XCTAssertEqual(table.weights.data[2], 3 * (1 - 0.005) * (1 - 0.005) * (1 - 0.005), accuracy: 1e-6, "a row without gradient only decays")
    }

    /// A table that never had a gradient (SASRec's user table) is skipped by the dense step:
    /// no moments, no work, and its rows are what zero moments would have left them.
    func testADenseTableWithoutAnyGradientIsLeftAlone() {
        let table = EmbeddingTable(name: "t", weights: Tensor(shape: [2, 2], data: [1, 2, 3, 4]))
        let dense = LazyAdam(learningRate: 0.1, lazy: false)
        table.setGradient(RowGradient(dimension: 2))
        dense.step([table])
        XCTAssertEqual(table.weights.data, [1, 2, 3, 4])
        XCTAssertNil(dense.moments.first["t"])
    }

    func testRowAdagrad() {
        // acc = 0 + g^2 = 4; w -= 0.1 * 2 / 2 = 0.1.  Second step: acc = 8, w -= 0.1 * 2 / sqrt(8).
        let table = EmbeddingTable(name: "t", weights: Tensor(shape: [1, 1], data: [1]))
        let opt = RowAdagrad(learningRate: 0.1)
        table.setGradient(RowGradient(dimension: 1, rowIDs: [0], values: [2]))
        opt.step([table])
        XCTAssertEqual(table.weights.data[0], 0.9, accuracy: 1e-6)
        opt.step([table])
        XCTAssertEqual(table.weights.data[0], 0.9 - 0.2 / Float(8).squareRoot(), accuracy: 1e-6)
    }

    // MARK: Importing state

    /// A restored buffer must be one the optimizer keeps, for a parameter it steps, of that
    /// parameter's size: a short moment would otherwise be written past its end.
    func testImportStateRefusesBuffersThatDoNotFitTheParameters() throws {
        let table = EmbeddingTable(name: "t", weights: Tensor(shape: [4, 3], repeating: 1))
        let lazy = LazyAdam(learningRate: 0.1)
        table.setGradient(RowGradient(dimension: 3, rowIDs: [1], values: [1, 2, 3]))
        lazy.step([table])
        let good = lazy.exportState(), sizes = [table].optimizerSizes
        XCTAssertEqual(sizes, ["t": 12])
        var short = good
        short.buffers["m/t"] = Array(good.buffers["m/t"]!.prefix(6))
        XCTAssertThrowsError(try lazy.importState(short, sizes: sizes)) {
            XCTAssertEqual($0 as? OptimizerStateError, OptimizerStateError(buffer: "m/t", expected: "12 values (its parameter's)", found: "6"))
        }
        var stranger = good
        stranger.buffers["m/u"] = [0]
        XCTAssertThrowsError(try lazy.importState(stranger, sizes: sizes)) { XCTAssert("\($0)".contains("m/u"), "\($0)") }
        var unknown = good
        unknown.buffers["velocity/t"] = Array(repeating: 0, count: 12)
        XCTAssertThrowsError(try lazy.importState(unknown, sizes: sizes)) { XCTAssert("\($0)".contains("velocity/t"), "\($0)") }
        XCTAssertThrowsError(try lazy.importState(OptimizerState(stepCount: -1), sizes: sizes))
        XCTAssertEqual(lazy.exportState(), good, "a refused state changes nothing")
        try lazy.importState(good, sizes: sizes)

        let p = Variable(Tensor(shape: [2], data: [1, 1]), requiresGrad: true, name: "p")
        XCTAssertThrowsError(try Adam().importState(OptimizerState(buffers: ["v/p": [0]]), sizes: [p].optimizerSizes))
        XCTAssertThrowsError(try SGD(learningRate: 1, momentum: 0.9).importState(OptimizerState(buffers: ["velocity/p": [0, 0, 0]]), sizes: [p].optimizerSizes))
        XCTAssertThrowsError(try RowAdagrad().importState(OptimizerState(buffers: ["accumulator/t": [0]]), sizes: sizes))
        XCTAssertThrowsError(try RowSGD(learningRate: 1).importState(OptimizerState(buffers: ["m/t": Array(repeating: 0, count: 12)]), sizes: sizes))
        try RowAdagrad().importState(OptimizerState(buffers: ["accumulator/t": Array(repeating: 0, count: 12)]), sizes: sizes)
    }
}
