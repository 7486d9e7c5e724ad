import COpenBLAS
import Dispatch

/// The matrix-multiply path: thin wrappers over OpenBLAS's `cblas_sgemm`.
///
/// Only this file imports the C shim, so the rest of the tensor layer stays pure Swift.
public enum BLAS {
    /// C (m x n) = alpha * op(A) * op(B) + beta * C, all row-major.
    /// op(A) is (m x k): A is (m x k), or (k x m) when `transposeA`.
    /// op(B) is (k x n): B is (k x n), or (n x k) when `transposeB`.
    @inline(__always)
    public static func gemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
        beta: Float = 0, c: UnsafeMutablePointer<Float>
    ) {
        guard m > 0, n > 0 else { return }
        if k == 0 {
            // BLAS leaves C * beta; make "sum over nothing" explicit.
            for i in 0..<(m * n) { c[i] = beta == 0 ? 0 : beta * c[i] }
            return
        }
        cblas_sgemm(
            CblasRowMajor,
            transposeA ? CblasTrans : CblasNoTrans,
            transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha,
            a, Int32(transposeA ? m : k),
            b, Int32(transposeB ? k : n),
            beta, c, Int32(n))
    }

    /// The same on sub-matrices of wider row-major buffers: `lda`, `ldb`, `ldc` are the
    /// buffers' row strides (a head's columns inside a (rows, heads x width) matrix, say).
    @inline(__always)
    public static func gemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard m > 0, n > 0, k > 0 else { return }
        cblas_sgemm(
            CblasRowMajor,
            transposeA ? CblasTrans : CblasNoTrans,
            transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// The first `gemm` split over `Parallel.threadCount` threads when the product is large
    /// (2·m·n·k >= `parallelFLOPs`): along its longest dimension into contiguous blocks, each
    /// a single-threaded sgemm on one of our threads (OpenBLAS itself runs on one thread: its
    /// own threads busy-wait between calls and would steal the cores of every other kernel).
    /// OpenBLAS picks its kernels by block size and blocks of k add their partial products in
    /// block order, so a result may differ from one call's in the last bits and depends on
    /// the thread count (`training.threads`, the same in every process of a run), never on
    /// timing.
    public static func parallelGemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
        beta: Float = 0, c: UnsafeMutablePointer<Float>
    ) {
        let threads = Parallel.threadCount, longest = Swift.max(m, n, k)
        guard threads > 1, 2 * Double(m) * Double(n) * Double(k) >= parallelFLOPs, longest >= 64 * threads else {
            return gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha, a: a, b: b, beta: beta, c: c)
        }
        let lda = transposeA ? m : k, ldb = transposeB ? k : n
        let size = (longest + threads - 1) / threads
        func block(_ t: Int) -> Range<Int> { Swift.min(longest, t * size)..<Swift.min(longest, (t + 1) * size) }
        if longest == m {
            // Rows of C: rows of op(A).
            Parallel.perform(threads) { t in
                let r = block(t)
                guard !r.isEmpty else { return }
                gemm(transposeA: transposeA, transposeB: transposeB, m: r.count, n: n, k: k, alpha: alpha,
                     a: a + (transposeA ? r.lowerBound : r.lowerBound * lda), lda: lda, b: b, ldb: ldb,
                     beta: beta, c: c + r.lowerBound * n, ldc: n)
            }
        } else if longest == n {
            // Columns of C: columns of op(B).
            Parallel.perform(threads) { t in
                let r = block(t)
                guard !r.isEmpty else { return }
                gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: r.count, k: k, alpha: alpha,
                     a: a, lda: lda, b: b + (transposeB ? r.lowerBound * ldb : r.lowerBound), ldb: ldb,
                     beta: beta, c: c + r.lowerBound, ldc: n)
            }
        } else {
            // Blocks of k: block 0 into C (with beta), the others into scratch, added in order.
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: (threads - 1) * m * n)
            defer { scratch.deallocate() }
            Parallel.perform(threads) { t in
                let r = block(t)
                let out = t == 0 ? c : scratch + (t - 1) * m * n
                guard !r.isEmpty else {
                    if t > 0 { out.update(repeating: 0, count: m * n) }
                    return
                }
                gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: r.count, alpha: alpha,
                     a: a + (transposeA ? r.lowerBound * lda : r.lowerBound), lda: lda,
                     b: b + (transposeB ? r.lowerBound : r.lowerBound * ldb), ldb: ldb,
                     beta: t == 0 ? beta : 0, c: out, ldc: n)
            }
            for t in 1..<threads {
                let part = scratch + (t - 1) * m * n
                for i in 0..<(m * n) { c[i] += part[i] }
            }
        }
    }

    /// Products below this many floating-point operations stay on one thread.
    nonisolated(unsafe) public static var parallelFLOPs: Double = 16_777_216

    /// Sets how many threads OpenBLAS uses. Several processes on one machine should each
    /// take a share of the cores rather than all of them.
    public static func setThreadCount(_ count: Int) {
        openblas_set_num_threads(Int32(max(1, count)))
    }

    /// The thread count OpenBLAS is using.
    public static var threadCount: Int { Int(openblas_get_num_threads()) }
}
