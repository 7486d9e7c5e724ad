import CKernels
import XCTest
import TrellisCore
import TrellisTensor
import TestSupport

/// Forward values of kernels against direct computation.
final class KernelTests: XCTestCase {
    func testMatmulMatchesNaive() {
        var rng = SeededGenerator(seed: 2)
        let a = Tensor.normal([5, 7], std: 1, using: &rng), b = Tensor.normal([7, 3], std: 1, using: &rng)
        let c = Variable(a).matmul(Variable(b)).value
        var expected = [Float](repeating: 0, count: 15)
        for i in 0..<5 { for j in 0..<3 { for k in 0..<7 { expected[i * 3 + j] += a.data[i * 7 + k] * b.data[k * 3 + j] } } }
        XCTAssertEqual(c.shape, [5, 3])
        assertClose(c.data, expected, accuracy: 1e-5)
    }

    /// A large product split over threads along its longest dimension (C's rows, C's
    /// columns, or k with the partial products added) equals the one-call product within
    /// float error (OpenBLAS picks kernels by block size, so not bit for bit), in every
    /// transpose case, and the same split gives the same bits every time.
    func testParallelProductsMatchOneCall() {
        let (threads, limit) = (Parallel.threadCount, BLAS.parallelFLOPs)
        defer { Parallel.threadCount = threads; BLAS.parallelFLOPs = limit }
        Parallel.threadCount = 3
        BLAS.parallelFLOPs = 0
        var rng = SeededGenerator(seed: 4)
        for (m, n, k) in [(300, 5, 7), (6, 400, 9), (5, 4, 500)] {
            for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
                let a = Tensor.normal(ta ? [k, m] : [m, k], std: 1, using: &rng), b = Tensor.normal(tb ? [n, k] : [k, n], std: 1, using: &rng)
                let c0 = Tensor.normal([m, n], std: 1, using: &rng)
                var one = c0.data, split = c0.data
                a.data.withUnsafeBufferPointer { pa in
                    b.data.withUnsafeBufferPointer { pb in
                        BLAS.gemm(transposeA: ta, transposeB: tb, m: m, n: n, k: k, alpha: 0.5, a: pa.baseAddress!, b: pb.baseAddress!, beta: 2, c: &one)
                        BLAS.parallelGemm(transposeA: ta, transposeB: tb, m: m, n: n, k: k, alpha: 0.5, a: pa.baseAddress!, b: pb.baseAddress!, beta: 2, c: &split)
                    }
                }
                assertClose(split, one, accuracy: 1e-5)
                XCTAssertNotEqual(split, c0.data)
                var again = c0.data
                a.data.withUnsafeBufferPointer { pa in
                    b.data.withUnsafeBufferPointer { pb in
                        BLAS.parallelGemm(transposeA: ta, transposeB: tb, m: m, n: n, k: k, alpha: 0.5, a: pa.baseAddress!, b: pb.baseAddress!, beta: 2, c: &again)
                    }
                }
                XCTAssertEqual(again, split, "the same split, the same bits")
            }
        }
    }

    func testBroadcastShapesAndValues() {
        let a = Variable(Tensor(shape: [2, 1], data: [1, 2])), b = Variable(Tensor(shape: [3], data: [10, 20, 30]))
        let c = (a + b).value
        XCTAssertEqual(c.shape, [2, 3])
        XCTAssertEqual(c.data, [11, 21, 31, 12, 22, 32])
    }

    func testSegmentSoftmaxNormalisesPerSegment() {
        let scores = Variable(Tensor(shape: [4, 1], data: [1, 2, 3, 4]))
        let y = scores.segmentSoftmax([0, 1, 0, 1], segmentCount: 3).value.data
        XCTAssertEqual(y[0] + y[2], 1, accuracy: 1e-6)
        XCTAssertEqual(y[1] + y[3], 1, accuracy: 1e-6)
        XCTAssertEqual(y[2] / y[0], Float(M_E * M_E), accuracy: 1e-4)
    }

    func testSparseMultiplyAndTranspose() {
        let a = SparseMatrix(rowCount: 2, columnCount: 3, rows: [0, 1, 1], columns: [2, 0, 1], values: [2, 3, 4])
        let x = Tensor(shape: [3, 1], data: [1, 10, 100])
        XCTAssertEqual(a.multiply(x).data, [200, 43])
        XCTAssertEqual(a.transposed.multiply(Tensor(shape: [2, 1], data: [1, 1])).data, [3, 4, 2])
    }

    func testSparseMultiplySIMDPathMatchesNaive() {
        // Widths that are multiples of 16 take the SIMD path; with no base it must start at zero.
        var rng = SeededGenerator(seed: 6)
        let a = SparseMatrix(rowCount: 3, columnCount: 4, rows: [0, 0, 2, 2, 2], columns: [1, 3, 0, 1, 3],
                             values: [0.5, -1, 2, 0.25, 1.5])
        for width in [16, 48] {
            let x = Tensor.normal([4, width], std: 1, using: &rng)
            var expected = [Float](repeating: 0, count: 3 * width)
            for r in 0..<3 {
                for i in a.offsets[r]..<a.offsets[r + 1] {
                    for j in 0..<width { expected[r * width + j] += a.values[i] * x.data[Int(a.columns[i]) * width + j] }
                }
            }
            assertClose(a.multiply(x).data, expected, accuracy: 1e-5)
            let base = Tensor.normal([3, width], std: 1, using: &rng)
            let fused = a.multiply(x, adding: base, scale: 0.5).data
            assertClose(fused, (0..<expected.count).map { 0.5 * (base.data[$0] + expected[$0]) }, accuracy: 1e-5)
        }
    }

    func testBatchedMatmulShapes() {
        let a = Variable(Tensor(shape: [1, 2, 3], repeating: 1)), b = Variable(Tensor(shape: [4, 3, 5], repeating: 1))
        XCTAssertEqual(a.matmul(b).shape, [4, 2, 5])
        XCTAssertEqual(Variable(Tensor(shape: [2, 0, 3])).matmul(Variable(Tensor(shape: [2, 3, 4]))).shape, [2, 0, 4])
        XCTAssertEqual(Variable(Tensor(shape: [2, 3, 0])).matmul(Variable(Tensor(shape: [2, 0, 4]))).value.data,
                       [Float](repeating: 0, count: 24), "a sum over nothing is zero")
    }

    func testPropagationMeanEqualsLayerSum() {
        var rng = SeededGenerator(seed: 4)
        let a = SparseMatrix(rowCount: 3, columnCount: 3, rows: [0, 1, 1, 2], columns: [1, 0, 2, 1], values: [0.5, 0.5, 0.7, 0.7])
        for width in [5, 32] {
            let x = Tensor.normal([3, width], std: 1, using: &rng)
            let e1 = a.multiply(x), e2 = a.multiply(e1)
            let expected = (0..<x.count).map { (x.data[$0] + e1.data[$0] + e2.data[$0]) / 3 }
            assertClose(Variable.propagationMean(a, Variable(x), layers: 2).value.data, expected, accuracy: 1e-5)
        }
    }

    func testCrossEntropyValue() {
        // logits [0, ln 3] -> p = [1/4, 3/4]; CE(target 1) = -ln(3/4)
        let ce = Variable(Tensor(shape: [1, 2], data: [0, Float(log(3.0))])).crossEntropy(targets: [1]).value.scalar
        XCTAssertEqual(ce, -Float(log(0.75)), accuracy: 1e-6)
    }

    func testLayerNormZeroMeanUnitVariance() {
        let x = Variable(Tensor(shape: [1, 4], data: [1, 2, 3, 4]))
        let y = x.layerNorm(gamma: Variable(.ones([4])), beta: Variable(.zeros([4])), epsilon: 0).value.data
        XCTAssertEqual(y.reduce(0, +), 0, accuracy: 1e-5)
        XCTAssertEqual(y.map { $0 * $0 }.reduce(0, +) / 4, 1, accuracy: 1e-5)
    }

    func testDropoutScalesKeptAndIsSeeded() {
        var r1 = SeededGenerator(seed: 1), r2 = SeededGenerator(seed: 1)
        let x = Variable(.ones([1000]))
        let a = x.dropout(rate: 0.5, training: true, using: &r1).value.data
        let b = x.dropout(rate: 0.5, training: true, using: &r2).value.data
        XCTAssertEqual(a, b)
        XCTAssert(a.allSatisfy { $0 == 0 || $0 == 2 })
        XCTAssertEqual(Double(a.filter { $0 == 0 }.count) / 1000, 0.5, accuracy: 0.06)
        XCTAssertEqual(x.dropout(rate: 0.5, training: false, using: &r1).value.data, x.value.data)
    }
}

/// The branch-free exp the Transformer kernels use against libm over its range, GELU (from
/// one exp) against its tanh formula with libm's tanh, and the OpenBLAS kernel choice from a
/// CPU's flags.
final class FastMathTests: XCTestCase {
    func testExpAndGeluMatchLibm() {
        var worstExp: Float = 0
        for k in -8700..<8800 {
            let x = Float(k) / 100 + 0.003
            worstExp = max(worstExp, abs(FastMath.exp(x) - Foundation.exp(x)) / Foundation.exp(x))
        }
        XCTAssertLessThan(worstExp, 4e-7, "relative")
        XCTAssertEqual(FastMath.exp(-200), Foundation.exp(-87), accuracy: 1e-40, "clamped, not NaN or 0 garbage")
        let xs = (-1200..<1200).map { Double($0) / 100 + 0.003 }
        let c = (2 / Double.pi).squareRoot()
        let gelu = Variable(Tensor(shape: [xs.count], data: xs.map { Float($0) }), requiresGrad: true)
        let y = gelu.gelu()
        y.backward(seed: Tensor(shape: [xs.count], repeating: 1))
        for (i, x) in xs.enumerated() {
            let t = Foundation.tanh(c * (x + 0.044715 * x * x * x))
            let value = 0.5 * x * (1 + t), slope = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * c * (1 + 3 * 0.044715 * x * x)
            XCTAssertEqual(Double(y.value.data[i]), value, accuracy: 1e-6 * max(1, abs(value)), "GELU(\(x))")
            XCTAssertEqual(Double(gelu.grad!.data[i]), slope, accuracy: 1e-6, "GELU'(\(x))")
        }
        let row: [Float] = [3, -1, 7.5, 2, 0, 1, 1, 1, 1, -9, 4]
        var out = row
        let (top, sum) = FastMath.exponentiate(row, into: &out, row.count)
        XCTAssertEqual(top, 7.5)
        XCTAssertEqual(sum, row.map { Foundation.exp($0 - 7.5) }.reduce(0, +), accuracy: 1e-5)
    }

    /// Every CKernels version this CPU runs (baseline always; AVX2, AVX-512 where present) gives
    /// the same bits as the others and as the Swift exp, over lengths with every tail and
    /// values past the clamps; a run's numbers do not depend on its host.
    func testKernelVersionsGiveTheSameBits() throws {
        let chosen = String(cString: trellis_kernels_name())
        defer { XCTAssertEqual(trellis_kernels_select(chosen), 1) }
        var rng = SeededGenerator(seed: 11)
        let versions = ["baseline", "avx2", "avx512"].filter { (name: String) in trellis_kernels_select(name) == 1 }
        XCTAssertTrue(versions.contains("baseline"))
        XCTAssertEqual(trellis_kernels_select("avx1024"), 0, "an unknown name is refused")
        for n in [1, 7, 8, 15, 16, 17, 33, 1683] {
            let x = (0..<n).map { _ in Float(rng.nextDouble() * 60 - 30) }
            let wide = x.map { $0 * 5 }                              // past GELU's and exp's clamps
            let mask = (0..<n).map { _ in UInt8(rng.next() & 1) }
            let target = n / 2
            var results: [[UInt32]] = []
            for version in versions {
                XCTAssertEqual(trellis_kernels_select(version), 1)
                var e = [Float](repeating: 0, count: n), top: Float = 0
                let sum = trellis_exponentiate(x, &e, n, &top)
                var grad = x, gtop: Float = 0, gsum: Float = 0
                trellis_softmax_gradient(&grad, n, target, 0.25, &gtop, &gsum)
                var y = [Float](repeating: 0, count: n), slope = y, dy = y, dslope = y, masked = y
                trellis_gelu(wide, &y, &slope, n)
                var g = x
                trellis_gelu_backward(wide, &g, n)
                trellis_gelu_dropout(wide, mask, 1.25, &dy, &dslope, n)
                trellis_apply_mask(x, mask, 1.25, &masked, n)
                // Layer norm over rows of width n (3 rows), and its backward.
                let rows = 3, xs = (0..<(rows * n)).map { Float($0 % 7) * 0.3 - Float($0 % 3) }
                let gamma = wide.map { $0 * 0.1 + 1 }, beta = x.map { $0 * 0.01 }
                var normalised = [Float](repeating: 0, count: rows * n), inverse = [Float](repeating: 0, count: rows)
                var ln = normalised, lnBack = normalised
                trellis_layer_norm(xs, gamma, beta, 1e-5, rows, n, &normalised, &inverse, &ln)
                trellis_layer_norm_backward(xs.reversed(), gamma, normalised, inverse, rows, n, &lnBack)
                let all = e + [top, sum] + grad + [gtop, gsum] + y + slope + g + dy + dslope + masked + normalised + inverse + ln + lnBack
                results.append(all.map(\.bitPattern))
                // The Swift exp, element for element, and the dropout's definition.
                XCTAssertEqual(e.map(\.bitPattern), x.map { FastMath.exp($0 - top).bitPattern }, "\(version) n \(n)")
                XCTAssertEqual(masked.map(\.bitPattern), zip(x, mask).map { ($1 == 0 ? $0 * 0 : $0 * 1.25).bitPattern })
                XCTAssertEqual(dy.map(\.bitPattern), zip(y, mask).map { ($1 == 0 ? $0 * 0 : $0 * 1.25).bitPattern })
            }
            for (version, bits) in zip(versions, results) { XCTAssertEqual(bits, results[0], "\(version) vs baseline, n \(n)") }
        }
    }

    func testAGenericCPUModelGetsTheKernelsItsFlagsAllow() {
        let avx512: Set<Substring> = ["sse4_2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512cd"]
        XCTAssertEqual(BLAS.betterCoreType(current: "Prescott", cpuFlags: avx512), "SkylakeX")
        XCTAssertEqual(BLAS.betterCoreType(current: "Prescott", cpuFlags: ["avx", "avx2", "fma"]), "Haswell")
        XCTAssertNil(BLAS.betterCoreType(current: "Prescott", cpuFlags: ["sse3"]))
        XCTAssertNil(BLAS.betterCoreType(current: "SkylakeX", cpuFlags: avx512), "a right choice is kept")
        XCTAssertNil(BLAS.betterCoreType(current: "Prescott", cpuFlags: nil))
    }
}
