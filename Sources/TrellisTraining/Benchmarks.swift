import Foundation
import TrellisCore
import TrellisTensor

/// Measurements printed by `trellis bench`. Every figure is a median over repeats, and each
/// comparison's baseline runs in the same invocation.
public enum Benchmarks {
    /// One matmul shape: our `Variable.matmul` path against a direct `cblas_sgemm` call.
    public struct MatmulResult: Sendable {
        public let m: Int, n: Int, k: Int
        public let oursGFLOPS: Double
        public let blasGFLOPS: Double
        public var ratio: Double { oursGFLOPS / blasGFLOPS }
    }

    /// Times `body` `repeats` times after one warm-up; returns the median seconds.
    public static func medianSeconds(repeats: Int, _ body: () -> Void) -> Double {
        body()
        var times: [Double] = []
        for _ in 0..<repeats {
            let start = ResourceUsage.now()
            body()
            times.append(ResourceUsage.now() - start)
        }
        return median(times)
    }

    /// GFLOP/s of C = A · B for (m x k) · (k x n), ours vs direct BLAS.
    public static func matmul(m: Int, n: Int, k: Int, repeats: Int) -> MatmulResult {
        var rng = SeededGenerator(seed: 1)
        let a = Tensor.normal([m, k], std: 1, using: &rng), b = Tensor.normal([k, n], std: 1, using: &rng)
        let va = Variable(a), vb = Variable(b)
        let flops = 2.0 * Double(m) * Double(n) * Double(k)
        let ours = medianSeconds(repeats: repeats) { _ = va.matmul(vb) }
        var c = [Float](repeating: 0, count: m * n)
        let blas = medianSeconds(repeats: repeats) {
            a.data.withUnsafeBufferPointer { pa in
                b.data.withUnsafeBufferPointer { pb in
                    c.withUnsafeMutableBufferPointer { pc in
                        BLAS.gemm(transposeA: false, transposeB: false, m: m, n: n, k: k,
                                  a: pa.baseAddress!, b: pb.baseAddress!, c: pc.baseAddress!)
                    }
                }
            }
        }
        return MatmulResult(m: m, n: n, k: k, oursGFLOPS: flops / ours / 1e9, blasGFLOPS: flops / blas / 1e9)
    }

    /// GFLOP/s of a sparse (n x n, nnz) times dense (n x d) product: 2 * nnz * d flops.
    public static func sparseMatmul(_ a: SparseMatrix, dimension d: Int, repeats: Int) -> (seconds: Double, gflops: Double) {
        var rng = SeededGenerator(seed: 2)
        let x = Tensor.normal([a.columnCount, d], std: 1, using: &rng)
        let t = medianSeconds(repeats: repeats) { _ = a.multiply(x) }
        return (t, 2.0 * Double(a.nonZeroCount) * Double(d) / t / 1e9)
    }
}
