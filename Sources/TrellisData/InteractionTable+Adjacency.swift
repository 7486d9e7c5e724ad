// MARK: Per-user item sets

extension InteractionTable {
    /// Each user's items: `userCount` rows, item ids ascending, duplicates removed, no values.
    ///
    /// This is the "seen items" structure used for negative sampling and for masking
    /// training items in full-ranking evaluation.
    public func itemsByUser() -> CSRMatrix {
        CSRMatrix(rowCount: userCount, columnCount: itemCount, rows: users, columns: items,
                  values: nil, sortRows: true).removingDuplicateColumns()
    }
}
