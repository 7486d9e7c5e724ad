/// An immutable CSR sparse matrix with float values, used for graph propagation
/// (e.g. LightGCN's normalised adjacency D^-1/2 A D^-1/2).
///
/// A class so the transpose, built on first use for backward passes, is computed once.
public final class SparseMatrix: @unchecked Sendable {
    /// (rowCount x columnCount)
    public let rowCount: Int
    public let columnCount: Int
    /// rowCount + 1 offsets into `columns`/`values`.
    public let offsets: [Int]
    public let columns: [Int32]
    public let values: [Float]

    private var cachedTranspose: SparseMatrix?
    private let lock = NSLock()

    /// A CSR matrix; offsets must be non-decreasing and columns in range.
    public init(rowCount: Int, columnCount: Int, offsets: [Int], columns: [Int32], values: [Float]) {
        precondition(offsets.count == rowCount + 1 && offsets.first == 0 && offsets.last == columns.count,
                     "CSR offsets do not describe \(rowCount) rows of \(columns.count) entries")
        precondition(values.count == columns.count, "CSR values and columns differ in length")
        self.rowCount = rowCount
        self.columnCount = columnCount
        self.offsets = offsets
        self.columns = columns
        self.values = values
    }

    /// Builds from coordinate triples; entries keep their input order within a row.
    public convenience init(rowCount: Int, columnCount: Int, rows: [Int32], columns: [Int32], values: [Float]) {
        precondition(rows.count == columns.count && rows.count == values.count, "COO arrays differ in length")
        var offsets = [Int](repeating: 0, count: rowCount + 1)
        for r in rows {
            precondition(r >= 0 && Int(r) < rowCount, "row \(r) out of 0..<\(rowCount)")
            offsets[Int(r) + 1] += 1
        }
        for i in 0..<rowCount { offsets[i + 1] += offsets[i] }
        var cursor = offsets
        var cols = [Int32](repeating: 0, count: rows.count)
        var vals = [Float](repeating: 0, count: rows.count)
        for i in 0..<rows.count {
            precondition(columns[i] >= 0 && Int(columns[i]) < columnCount, "column \(columns[i]) out of 0..<\(columnCount)")
            let slot = cursor[Int(rows[i])]
            cols[slot] = columns[i]; vals[slot] = values[i]
            cursor[Int(rows[i])] += 1
        }
        self.init(rowCount: rowCount, columnCount: columnCount, offsets: offsets, columns: cols, values: vals)
    }

    /// Number of stored entries.
    public var nonZeroCount: Int { columns.count }

    /// The transpose, computed once.
    public var transposed: SparseMatrix {
        lock.lock(); defer { lock.unlock() }
        if let t = cachedTranspose { return t }
        var rows = [Int32](repeating: 0, count: columns.count)
        for r in 0..<rowCount { for i in offsets[r]..<offsets[r + 1] { rows[i] = Int32(r) } }
        let t = SparseMatrix(rowCount: columnCount, columnCount: rowCount, rows: columns, columns: rows, values: values)
        cachedTranspose = t
        return t
    }

    /// self (R x C) times dense x (C x D) -> (R x D). Rows run in parallel; each row's sum
    /// runs in CSR order, so the result does not depend on the thread count.
    public func multiply(_ x: Tensor) -> Tensor { multiply(x, adding: nil, scale: 1) }

    /// scale * (base + self · x), fused: each output row block starts from base's row and is
    /// scaled on store, so no intermediate tensors are built. base: (R x D) or nil.
    public func multiply(_ x: Tensor, adding base: Tensor?, scale: Float) -> Tensor {
        precondition(x.rank == 2 && x.shape[0] == columnCount,
                     "sparse (\(rowCount) x \(columnCount)) times dense \(x.shape)")
        let d = x.shape[1]
        if let base { precondition(base.shape == [rowCount, d], "multiply adding: base \(base.shape) is not [\(rowCount), \(d)]") }
        guard d > 0, rowCount > 0 else { return Tensor(shape: [rowCount, d]) }
        if columns.isEmpty || d % 16 != 0 {
            return multiplyGeneric(x, adding: base, scale: scale)
        }
        // Every 16-column block of every row is stored whole, so no zero-fill is needed.
        var out = [Float].uninitialized(count: rowCount * d) { _ in }
        // Decide from `base`, not from the buffer's address: an empty array still has one.
        let hasBase = base != nil
        let baseData = base?.data ?? []
        baseData.withUnsafeBufferPointer { pb in
        x.data.withUnsafeBufferPointer { px in
            out.withUnsafeMutableBufferPointer { po in
                let xs = px.baseAddress!, os = po.baseAddress!
                offsets.withUnsafeBufferPointer { off in
                    columns.withUnsafeBufferPointer { col in
                        values.withUnsafeBufferPointer { val in
                            Parallel.forEachChunk(rowCount, minimumChunk: 256) { range in
                                for r in range {
                                    Self.accumulateRow(r, d: d, off: off, col: col, val: val, xs: xs,
                                                       base: hasBase ? pb.baseAddress! + r * d : nil, scale: scale,
                                                       dst: os + r * d)
                                }
                            }
                        }
                    }
                }
            }
        }
        }
        return Tensor(shape: [rowCount, d], data: out)
    }

    /// Any width: plain loops (used when d is not a multiple of 16).
    private func multiplyGeneric(_ x: Tensor, adding base: Tensor?, scale: Float) -> Tensor {
        let d = x.shape[1]
        var out = base?.data ?? [Float](repeating: 0, count: rowCount * d)
        for r in 0..<rowCount {
            for i in offsets[r]..<offsets[r + 1] {
                let w = values[i], c = Int(columns[i]) * d
                for k in 0..<d { out[r * d + k] += w * x.data[c + k] }
            }
            if scale != 1 { for k in 0..<d { out[r * d + k] *= scale } }
        }
        return Tensor(shape: [rowCount, d], data: out)
    }

    /// dst = scale * (base + sum over row r's entries of value * x[column]), for d a multiple
    /// of 16. Each 16-column block is summed in a SIMD register and stored once, instead of a
    /// load-add-store per entry.
    @inline(__always)
    private static func accumulateRow(_ r: Int, d: Int, off: UnsafeBufferPointer<Int>, col: UnsafeBufferPointer<Int32>,
                                      val: UnsafeBufferPointer<Float>, xs: UnsafePointer<Float>,
                                      base: UnsafePointer<Float>?, scale: Float, dst: UnsafeMutablePointer<Float>) {
        let lo = off[r], hi = off[r + 1]
        var j = 0
        while j < d {
            var acc = base.map { UnsafeRawPointer($0 + j).loadUnaligned(as: SIMD16<Float>.self) } ?? SIMD16<Float>(repeating: 0)
            for i in lo..<hi {
                let src = UnsafeRawPointer(xs + Int(col[i]) * d + j)
                acc += val[i] * src.loadUnaligned(as: SIMD16<Float>.self)
            }
            UnsafeMutableRawPointer(dst + j).storeBytes(of: scale * acc, as: SIMD16<Float>.self)
            j += 16
        }
    }
}

import Foundation

extension Variable {
    /// Sparse-dense product A · x: (R x C) · (C, D) -> (R, D). The gradient is Aᵀ · g.
    public static func spmm(_ a: SparseMatrix, _ x: Variable) -> Variable {
        Variable(a.multiply(x.value), inputs: [x]) { g in
            x.accumulate(a.transposed.multiply(g))
        }
    }

    /// The mean of K+1 propagation layers, (x + A x + A² x + … + A^K x) / (K+1), for a square
    /// A (LightGCN's layer combination). Computed by Horner's rule, h = x + A h, so each layer
    /// is one fused sparse product; the gradient is the same series in Aᵀ.
    public static func propagationMean(_ a: SparseMatrix, _ x: Variable, layers k: Int) -> Variable {
        precondition(a.rowCount == a.columnCount, "propagationMean needs a square matrix")
        precondition(k >= 0, "propagationMean needs layers >= 0")
        let scale = 1 / Float(k + 1)
        return Variable(hornerSeries(a, x.value, layers: k, scale: scale), inputs: [x]) { g in
            x.accumulate(hornerSeries(a.transposed, g, layers: k, scale: scale))
        }
    }

    /// scale * (x + A(x + A(x + …))) with k products.
    private static func hornerSeries(_ a: SparseMatrix, _ x: Tensor, layers k: Int, scale: Float) -> Tensor {
        guard k > 0 else { return scale == 1 ? x : x.map { $0 * scale } }
        var h = x
        for layer in 1...k {
            h = a.multiply(h, adding: x, scale: layer == k ? scale : 1)
        }
        return h
    }
}
