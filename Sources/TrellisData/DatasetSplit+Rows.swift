// MARK: Row-block split (MovieLens u1…u5)

extension DatasetSplit {
    /// A block of rows in file order -> test, every other row -> train; optionally a seeded
    /// per-user share of the train rows -> valid.
    ///
    /// This rebuilds MovieLens' canonical folds from one file that keeps `u.data`'s row order
    /// (RecBole's `ml-100k.inter` does): MovieLens' `mku.sh` writes `u1.test` from rows
    /// 0..<20,000 of `u.data` and `u1.base` from rows 20,000..<100,000 (`uK`: the K-th block
    /// of 20,000), then sorts both by user and item. Here the parts keep file order instead;
    /// the rows, users, items and ratings are the same.
    ///
    /// With `validRatio > 0` each user's train rows are shuffled on stream `[user]` of `seed`
    /// and cut train/valid with `ratioCounts([1 - validRatio, validRatio])` (RecBole's
    /// rounding: a user with one train row keeps it; with two, one goes to valid). The test
    /// part never depends on `validRatio` or `seed`.
    ///
    /// - Precondition: `testRows` lies within `0...table.count`; `0 <= validRatio < 1`.
    public static func rowBlock(_ table: InteractionTable, testRows: Range<Int>, validRatio: Double = 0,
                                seed: UInt64 = 0) -> DatasetSplit {
        precondition(testRows.lowerBound >= 0 && testRows.upperBound <= table.count,
                     "rowBlock: test rows \(testRows) outside the table's 0..<\(table.count)")
        precondition(validRatio >= 0 && validRatio < 1, "rowBlock: validRatio \(validRatio) outside [0, 1)")
        let test = table.subset(Array(testRows))
        var train = table.subset(Array(0..<testRows.lowerBound) + Array(testRows.upperBound..<table.count))
        var valid = InteractionTable(userIDs: table.userIDs, itemIDs: table.itemIDs)
        if validRatio > 0 {
            // randomRatio's two-ratio form puts its second share in `test`: here, valid.
            let carved = randomRatio(train, ratios: [1 - validRatio, validRatio], seed: seed)
            train = carved.train
            valid = carved.test
        }
        return DatasetSplit(train: train, valid: valid, test: test)
    }
}
