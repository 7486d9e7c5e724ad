/// A sparse matrix in compressed sparse row form.
///
/// Row `r`'s entries are `columns[offsets[r]..<offsets[r+1]]` (and the same range of
/// `values`, when present). Offsets are `Int` so edge counts may exceed `Int32`; column
/// indices are `Int32` to halve the memory of large graphs.
public struct CSRMatrix: Sendable, Equatable {
    /// Number of rows.
    public let rowCount: Int
    /// Number of columns (column indices are in `0..<columnCount`).
    public let columnCount: Int
    /// Row start positions, `rowCount + 1` entries, first 0, last `nnz`.
    public private(set) var offsets: [Int]
    /// Column index of each stored entry.
    public private(set) var columns: [Int32]
    /// Value of each stored entry, or nil for a pattern-only (binary) matrix.
    public private(set) var values: [Float]?

    /// A matrix from ready-made CSR arrays (checked for shape only).
    public init(rowCount: Int, columnCount: Int, offsets: [Int], columns: [Int32], values: [Float]?) {
        precondition(offsets.count == rowCount + 1, "CSRMatrix: offsets must have rowCount + 1 entries")
        precondition(offsets.first == 0 && offsets.last == columns.count, "CSRMatrix: offsets must span columns")
        precondition(values == nil || values!.count == columns.count, "CSRMatrix: values length differs")
        self.rowCount = rowCount
        self.columnCount = columnCount
        self.offsets = offsets
        self.columns = columns
        self.values = values
    }

    /// A matrix from coordinate (COO) triples `(rows[k], columns[k], values?[k])`.
    ///
    /// Entries keep their input order within a row, or with `sortRows` are ordered by column
    /// with ties in input order; either way the result is deterministic. Duplicates are kept
    /// (see `removingDuplicateColumns()`). Indices must be in range.
    public init(rowCount: Int, columnCount: Int, rows: [Int32], columns: [Int32],
                values: [Float]?, sortRows: Bool) {
        precondition(rows.count == columns.count, "CSRMatrix: rows and columns differ in length")
        precondition(values == nil || values!.count == rows.count, "CSRMatrix: values length differs")
        // Sorting by column first, then stably bucketing by row, yields column-sorted rows
        // in two linear passes (a radix sort) instead of a comparison sort per row.
        let order: [Int]? = sortRows ? Self.countingOrder(keys: columns, keyCount: columnCount) : nil
        var offsets = [Int](repeating: 0, count: rowCount + 1)
        for r in rows {
            precondition(r >= 0 && Int(r) < rowCount, "CSRMatrix: row index \(r) out of 0..<\(rowCount)")
            offsets[Int(r) + 1] += 1
        }
        for r in 0..<rowCount { offsets[r + 1] += offsets[r] }
        var cursor = offsets
        var outColumns = [Int32](repeating: 0, count: columns.count)
        var outValues: [Float]? = values.map { [Float](repeating: 0, count: $0.count) }
        for position in 0..<rows.count {
            let k = order?[position] ?? position
            let r = Int(rows[k])
            outColumns[cursor[r]] = columns[k]
            if let values { outValues![cursor[r]] = values[k] }
            cursor[r] += 1
        }
        self.init(rowCount: rowCount, columnCount: columnCount, offsets: offsets,
                  columns: outColumns, values: outValues)
    }

    // MARK: Access

    /// Number of stored entries.
    public var nnz: Int { columns.count }

    /// Column indices of row `r`.
    public func row(_ r: Int) -> ArraySlice<Int32> { columns[offsets[r]..<offsets[r + 1]] }

    /// Values of row `r`, or nil for a pattern-only matrix.
    public func rowValues(_ r: Int) -> ArraySlice<Float>? { values?[offsets[r]..<offsets[r + 1]] }

    /// Number of entries in row `r`.
    public func rowLength(_ r: Int) -> Int { offsets[r + 1] - offsets[r] }

    // MARK: Internals

    /// Positions `0..<keys.count` stably sorted by `keys` (a counting sort).
    static func countingOrder(keys: [Int32], keyCount: Int) -> [Int] {
        var starts = [Int](repeating: 0, count: keyCount + 1)
        for key in keys {
            precondition(key >= 0 && Int(key) < keyCount, "CSRMatrix: column index \(key) out of 0..<\(keyCount)")
            starts[Int(key) + 1] += 1
        }
        for c in 0..<keyCount { starts[c + 1] += starts[c] }
        var order = [Int](repeating: 0, count: keys.count)
        for (position, key) in keys.enumerated() {
            order[starts[Int(key)]] = position
            starts[Int(key)] += 1
        }
        return order
    }
}
