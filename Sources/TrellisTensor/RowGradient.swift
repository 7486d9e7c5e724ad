/// The gradient of an embedding table: a set of rows, never a dense table.
///
/// Contributions are appended as they arrive (one per lookup); `coalesced()` sums duplicate
/// rows in a fixed order, so the result does not depend on timing. This is also the unit a
/// worker pushes to the parameter server.
public struct RowGradient: Sendable, Equatable {
    /// Width of each row.
    public let dimension: Int
    /// Row ids, one per row of `values`; may repeat until coalesced.
    public private(set) var rowIDs: [Int32] = []
    /// (rowIDs.count, dimension), row-major.
    public private(set) var values: [Float] = []

    /// An empty gradient for rows of `dimension`.
    public init(dimension: Int) { self.dimension = dimension }

    /// A gradient from explicit ids and (ids.count x dimension) values.
    public init(dimension: Int, rowIDs: [Int32], values: [Float]) {
        precondition(values.count == rowIDs.count * dimension, "row gradient: \(values.count) values for \(rowIDs.count) rows of \(dimension)")
        self.dimension = dimension
        self.rowIDs = rowIDs
        self.values = values
    }

    /// True when no row has been added.
    public var isEmpty: Bool { rowIDs.isEmpty }

    /// Appends rows `ids` with gradients `rows` (ids.count x dimension).
    public mutating func add(rowIDs ids: [Int32], values rows: [Float]) {
        precondition(rows.count == ids.count * dimension, "row gradient: \(rows.count) values for \(ids.count) rows")
        if rowIDs.isEmpty {
            // The first contribution is adopted, not copied.
            rowIDs = ids
            values = rows
        } else {
            rowIDs.append(contentsOf: ids)
            values.append(contentsOf: rows)
        }
    }

    /// Unique ids in ascending order, each row the sum of its contributions in arrival order.
    public func coalesced() -> RowGradient {
        guard !rowIDs.isEmpty else { return self }
        if isCoalesced { return self }
        var maxID: Int32 = 0, minID: Int32 = .max
        for id in rowIDs { maxID = Swift.max(maxID, id); minID = Swift.min(minID, id) }
        if minID >= 0 && Int(maxID) < 4 * rowIDs.count + 4096 {
            return coalescedBySlots(rowSpan: Int(maxID) + 1)
        }
        let order = rowIDs.indices.sorted { (rowIDs[$0], $0) < (rowIDs[$1], $1) }
        var ids: [Int32] = []
        var sums: [Float] = []
        ids.reserveCapacity(order.count)
        sums.reserveCapacity(order.count * dimension)
        for i in order {
            let id = rowIDs[i]
            if ids.last != id {
                ids.append(id)
                sums.append(contentsOf: values[(i * dimension)..<((i + 1) * dimension)])
            } else {
                let base = sums.count - dimension
                for j in 0..<dimension { sums[base + j] += values[i * dimension + j] }
            }
        }
        return RowGradient(dimension: dimension, rowIDs: ids, values: sums)
    }

    /// Coalescing through a dense slot table when ids are few relative to the count: linear
    /// time (the ids come out sorted by a scan of the slots, not a sort), and each row still
    /// sums its contributions in arrival order. Ids without repeats (a step's pulled rows)
    /// are moved row by row instead of added into zeros.
    private func coalescedBySlots(rowSpan: Int) -> RowGradient {
        var slot = [Int32](repeating: -1, count: rowSpan)
        var repeated = false
        for id in rowIDs {
            if slot[Int(id)] >= 0 { repeated = true } else { slot[Int(id)] = 0 }
        }
        var ids: [Int32] = []
        ids.reserveCapacity(rowIDs.count)
        for r in 0..<rowSpan where slot[r] >= 0 {
            slot[r] = Int32(ids.count)
            ids.append(Int32(r))
        }
        let d = dimension
        let sums = [Float](unsafeUninitializedCapacity: ids.count * d) { s, count in
            let out = s.baseAddress!
            if repeated { out.initialize(repeating: 0, count: ids.count * d) }
            values.withUnsafeBufferPointer { v in
                for (i, id) in rowIDs.enumerated() {
                    let dst = out + Int(slot[Int(id)]) * d, src = v.baseAddress! + i * d
                    if repeated {
                        for j in 0..<d { dst[j] += src[j] }
                    } else {
                        dst.initialize(from: src, count: d)
                    }
                }
            }
            count = ids.count * d
        }
        return RowGradient(dimension: dimension, rowIDs: ids, values: sums)
    }

    /// True when ids are strictly ascending (already unique and sorted).
    public var isCoalesced: Bool {
        var previous = Int64(Int32.min) - 1
        for id in rowIDs {
            if Int64(id) <= previous { return false }
            previous = Int64(id)
        }
        return true
    }

    /// Multiplies every value by `factor` (gradient clipping).
    public mutating func scale(by factor: Float) {
        for i in values.indices { values[i] *= factor }
    }

    /// Sum of squares of the values (after coalescing, for a true norm).
    public var squaredNorm: Float { FastMath.squaredSum(values) }
}
