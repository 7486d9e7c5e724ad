// MARK: Time-based and file-based splits

extension DatasetSplit {
    /// Per user, in time order: last row -> test, second last -> valid, the rest -> train.
    ///
    /// Ties in timestamp keep source row order. As in RecBole's leave-one-out with two
    /// held-out rows, a user always keeps at least one training row: a user with one row
    /// has it in train, a user with two has the earlier in train and the later in test.
    public static func leaveOneOut(_ table: InteractionTable) -> DatasetSplit {
        var parts: [[Int]] = [[], [], []]
        let byUser = table.rowsByUser()
        for user in 0..<byUser.rowCount {
            // Ordering by (time, row) is total, so the result never depends on sort stability.
            let rows = byUser.row(user).map(Int.init).sorted {
                table.timestamps[$0] < table.timestamps[$1] || (table.timestamps[$0] == table.timestamps[$1] && $0 < $1)
            }
            let heldOut = min(2, max(rows.count - 1, 0))
            parts[0].append(contentsOf: rows[..<(rows.count - heldOut)])
            if heldOut == 2 { parts[1].append(rows[rows.count - 2]) }
            if heldOut >= 1 { parts[2].append(rows[rows.count - 1]) }
        }
        return DatasetSplit(table, parts: parts)
    }

    /// Global time cut: `t < validFrom` -> train, `validFrom <= t < testFrom` -> valid,
    /// `t >= testFrom` -> test. Equal bounds give an empty valid part.
    public static func timeCutoff(_ table: InteractionTable, validFrom: Double, testFrom: Double) -> DatasetSplit {
        precondition(validFrom <= testFrom, "timeCutoff: validFrom must not exceed testFrom")
        var parts: [[Int]] = [[], [], []]
        for (row, t) in table.timestamps.enumerated() {
            parts[t < validFrom ? 0 : (t < testFrom ? 1 : 2)].append(row)
        }
        return DatasetSplit(table, parts: parts)
    }

    /// Predefined files, e.g. MovieLens `u1.base` / `u1.test`.
    ///
    /// The train file is loaded first; the valid (optional) and test files reuse its maps, so
    /// shared raw ids get the same internal ids. Users or items that appear only in a later
    /// file are appended to the maps (ids after all train ids) rather than dropped; all
    /// three parts carry the final, extended maps.
    public static func fixedFiles(train: String, valid: String? = nil, test: String,
                                  format: InteractionFormat? = nil, ratingScale: ClosedRange<Double>? = nil) throws -> DatasetSplit {
        var trainTable = try InteractionLoader.load(path: train, format: format, ratingScale: ratingScale)
        var validTable = InteractionTable(userIDs: trainTable.userIDs, itemIDs: trainTable.itemIDs)
        if let valid {
            validTable = try InteractionLoader.load(path: valid, format: format, ratingScale: ratingScale,
                                                    userIDs: trainTable.userIDs, itemIDs: trainTable.itemIDs)
        }
        let testTable = try InteractionLoader.load(path: test, format: format, ratingScale: ratingScale,
                                                   userIDs: validTable.userIDs, itemIDs: validTable.itemIDs)
        // Maps only grow, so the test's maps are a superset that keeps every earlier id.
        trainTable.userIDs = testTable.userIDs
        trainTable.itemIDs = testTable.itemIDs
        validTable.userIDs = testTable.userIDs
        validTable.itemIDs = testTable.itemIDs
        return DatasetSplit(train: trainTable, valid: validTable, test: testTable)
    }
}
