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
    public func multiply(_ x: Tensor) -> Tensor {
        precondition(x.rank == 2 && x.shape[0] == columnCount,
                     "sparse (\(rowCount) x \(columnCount)) times dense \(x.shape)")
        let d = x.shape[1]
        var out = [Float](repeating: 0, count: rowCount * d)
        x.data.withUnsafeBufferPointer { px in
            out.withUnsafeMutableBufferPointer { po in
                let xs = px.baseAddress!, os = po.baseAddress!
                offsets.withUnsafeBufferPointer { off in
                    columns.withUnsafeBufferPointer { col in
                        values.withUnsafeBufferPointer { val in
                            Parallel.forEachChunk(rowCount, minimumChunk: 256) { range in
                                for r in range {
                                    let dst = os + r * d
                                    for i in off[r]..<off[r + 1] {
                                        let w = val[i], src = xs + Int(col[i]) * d
                                        for j in 0..<d { dst[j] += w * src[j] }
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
}

import Foundation

extension Variable {
    /// Sparse-dense product A · x: (R x C) · (C, D) -> (R, D). The gradient is Aᵀ · g.
    public static func spmm(_ a: SparseMatrix, _ x: Variable) -> Variable {
        Variable(a.multiply(x.value), inputs: [x]) { g in
            x.accumulate(a.transposed.multiply(g))
        }
    }
}
