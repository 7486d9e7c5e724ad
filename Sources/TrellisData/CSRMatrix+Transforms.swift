// MARK: Derived matrices

extension CSRMatrix {
    /// The transpose: `columnCount` rows, each listing the original rows ascending.
    public func transposed() -> CSRMatrix {
        var offsets = [Int](repeating: 0, count: columnCount + 1)
        for c in columns { offsets[Int(c) + 1] += 1 }
        for c in 0..<columnCount { offsets[c + 1] += offsets[c] }
        var cursor = offsets
        var outColumns = [Int32](repeating: 0, count: nnz)
        var outValues: [Float]? = values.map { [Float](repeating: 0, count: $0.count) }
        // Walking rows in order makes every output row come out sorted.
        for r in 0..<rowCount {
            for k in self.offsets[r]..<self.offsets[r + 1] {
                let c = Int(columns[k])
                outColumns[cursor[c]] = Int32(truncatingIfNeeded: r)
                if let values { outValues![cursor[c]] = values[k] }
                cursor[c] += 1
            }
        }
        return CSRMatrix(rowCount: columnCount, columnCount: rowCount, offsets: offsets,
                         columns: outColumns, values: outValues)
    }

    /// The matrix with repeated columns inside a row collapsed to their first occurrence
    /// (its value is kept). Rows must be column-sorted, as `sortRows: true` produces.
    public func removingDuplicateColumns() -> CSRMatrix {
        var outOffsets = [Int](repeating: 0, count: rowCount + 1)
        var outColumns: [Int32] = []
        outColumns.reserveCapacity(nnz)
        var outValues: [Float]? = values == nil ? nil : []
        for r in 0..<rowCount {
            var previous: Int32 = -1
            for k in offsets[r]..<offsets[r + 1] where columns[k] != previous {
                precondition(columns[k] > previous, "removingDuplicateColumns: row \(r) is not sorted")
                previous = columns[k]
                outColumns.append(columns[k])
                if let values { outValues!.append(values[k]) }
            }
            outOffsets[r + 1] = outColumns.count
        }
        return CSRMatrix(rowCount: rowCount, columnCount: columnCount, offsets: outOffsets,
                         columns: outColumns, values: outValues)
    }
}
