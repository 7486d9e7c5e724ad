/// User-item interactions in columnar form, with the maps from raw ids to dense ids.
///
/// Row `i` is `(users[i], items[i], ratings[i], timestamps[i])`. Sources without ratings get
/// rating 1; sources without timestamps get the row index, which keeps file order meaningful
/// to chronological splits. Train/valid/test tables made by `subset` share the same maps, so
/// `userCount` and `itemCount` are the sizes of the shared id spaces, not of this table.
public struct InteractionTable: Sendable {
    /// Internal user id per row.
    public var users: [Int32]
    /// Internal item id per row.
    public var items: [Int32]
    /// Rating per row (1 where the source has none).
    public var ratings: [Float]
    /// Timestamp per row (the row index where the source has none).
    public var timestamps: [Double]
    /// Raw user id <-> internal user id.
    public var userIDs: IDMap
    /// Raw item id <-> internal item id.
    public var itemIDs: IDMap

    /// A table from columns of equal length; ids must be valid in the given maps.
    public init(users: [Int32], items: [Int32], ratings: [Float], timestamps: [Double],
                userIDs: IDMap, itemIDs: IDMap) {
        precondition(users.count == items.count && users.count == ratings.count
                     && users.count == timestamps.count, "InteractionTable: columns differ in length")
        self.users = users
        self.items = items
        self.ratings = ratings
        self.timestamps = timestamps
        self.userIDs = userIDs
        self.itemIDs = itemIDs
    }

    /// An empty table over the given id spaces.
    public init(userIDs: IDMap = IDMap(), itemIDs: IDMap = IDMap()) {
        self.init(users: [], items: [], ratings: [], timestamps: [], userIDs: userIDs, itemIDs: itemIDs)
    }

    // MARK: Sizes

    /// Number of interactions (rows).
    public var count: Int { users.count }
    /// Size of the user id space (`userIDs.count`).
    public var userCount: Int { userIDs.count }
    /// Size of the item id space (`itemIDs.count`).
    public var itemCount: Int { itemIDs.count }

    // MARK: Selecting rows

    /// The rows at `rows`, in that order, keeping this table's id maps.
    public func subset(_ rows: [Int]) -> InteractionTable {
        var result = InteractionTable(userIDs: userIDs, itemIDs: itemIDs)
        result.users = rows.map { users[$0] }
        result.items = rows.map { items[$0] }
        result.ratings = rows.map { ratings[$0] }
        result.timestamps = rows.map { timestamps[$0] }
        return result
    }

    /// Row indices grouped by user: row `u` of the result lists user `u`'s rows ascending.
    public func rowsByUser() -> CSRMatrix {
        var offsets = [Int](repeating: 0, count: userCount + 1)
        for user in users { offsets[Int(user) + 1] += 1 }
        for u in 0..<userCount { offsets[u + 1] += offsets[u] }
        var cursor = offsets
        var rows = [Int32](repeating: 0, count: count)
        for (row, user) in users.enumerated() {
            rows[cursor[Int(user)]] = Int32(truncatingIfNeeded: row)
            cursor[Int(user)] += 1
        }
        return CSRMatrix(rowCount: userCount, columnCount: count, offsets: offsets, columns: rows, values: nil)
    }
}
