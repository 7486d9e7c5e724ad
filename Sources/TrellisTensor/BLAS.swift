import COpenBLAS

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

    /// Sets how many threads OpenBLAS uses. Several processes on one machine should each
    /// take a share of the cores rather than all of them.
    public static func setThreadCount(_ count: Int) {
        openblas_set_num_threads(Int32(max(1, count)))
    }

    /// The thread count OpenBLAS is using.
    public static var threadCount: Int { Int(openblas_get_num_threads()) }
}
