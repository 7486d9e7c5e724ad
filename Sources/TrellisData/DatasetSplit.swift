import TrellisCore

/// Train / validation / test parts of an interaction table, sharing one pair of id maps.
///
/// The parts partition the source rows; `valid` may be empty. Each part keeps its rows in
/// source order, and every part's `userIDs`/`itemIDs` are the same maps, so an internal id
/// means the same user or item in all three.
public struct DatasetSplit: Sendable {
    /// Rows to train on.
    public var train: InteractionTable
    /// Rows for model selection (possibly empty).
    public var valid: InteractionTable
    /// Rows for the final evaluation.
    public var test: InteractionTable

    /// A split from three tables built over the same id maps.
    public init(train: InteractionTable, valid: InteractionTable, test: InteractionTable) {
        self.train = train
        self.valid = valid
        self.test = test
    }

    /// A split of `table` from row lists for each part (each sorted into source order).
    init(_ table: InteractionTable, parts: [[Int]]) {
        precondition(parts.count == 3)
        self.init(train: table.subset(parts[0].sorted()), valid: table.subset(parts[1].sorted()),
                  test: table.subset(parts[2].sorted()))
    }

    // MARK: Random ratio

    /// Splits by ratio after a seeded shuffle, per user by default (RecBole's `RS`).
    ///
    /// `ratios` has two entries (train, test; valid is empty) or three (train, valid, test)
    /// and is normalised to sum 1. Each user's rows are shuffled with a generator on stream
    /// `[user]` of `seed` (so one user's split does not depend on others) and cut with
    /// `ratioCounts`. With `groupByUser: false` all rows are shuffled and cut as one group.
    public static func randomRatio(_ table: InteractionTable, ratios: [Double], seed: UInt64,
                                   groupByUser: Bool = true) -> DatasetSplit {
        precondition(ratios.count == 2 || ratios.count == 3, "randomRatio: give 2 or 3 ratios")
        precondition(ratios.allSatisfy { $0 >= 0 } && ratios.reduce(0, +) > 0, "randomRatio: bad ratios")
        var parts: [[Int]] = [[], [], []]
        // Two ratios mean train/test: map cut k to part 0 or 2.
        let partOfCut = ratios.count == 2 ? [0, 2] : [0, 1, 2]
        func cut(_ rows: [Int], generator: inout SeededGenerator) {
            var rows = rows
            generator.shuffle(&rows)
            var start = 0
            for (k, n) in ratioCounts(total: rows.count, ratios: ratios).enumerated() {
                parts[partOfCut[k]].append(contentsOf: rows[start..<start + n])
                start += n
            }
        }
        if groupByUser {
            let byUser = table.rowsByUser()
            for user in 0..<byUser.rowCount where byUser.rowLength(user) > 0 {
                var generator = SeededGenerator(seed: seed, stream: [UInt64(user)])
                cut(byUser.row(user).map(Int.init), generator: &generator)
            }
        } else {
            var generator = SeededGenerator(seed: seed)
            cut(Array(0..<table.count), generator: &generator)
        }
        return DatasetSplit(table, parts: parts)
    }

    // MARK: Whole users

    /// Seed 003's split: the users (those with rows, in id order) are shuffled with a
    /// generator on stream "user" of `seed` and cut by `ratios` (train, valid, test, or train,
    /// test) as its notebook cuts them, the first ⌊n·r₀⌋ to train and the next
    /// ⌊n·(r₀ + r₁)⌋ − ⌊n·r₀⌋ to valid; every row of a user goes to that user's part.
    public static func byUser(_ table: InteractionTable, ratios: [Double], seed: UInt64) -> DatasetSplit {
        precondition(ratios.count == 2 || ratios.count == 3, "byUser: give 2 or 3 ratios")
        let byUser = table.rowsByUser()
        var users = (0..<byUser.rowCount).filter { byUser.rowLength($0) > 0 }
        var generator = SeededGenerator(seed: seed, stream: [0x7573_6572])  // "user"
        generator.shuffle(&users)
        let sum = ratios.reduce(0, +), n = Double(users.count)
        let trainEnd = Int(n * ratios[0] / sum)
        let validEnd = ratios.count == 3 ? Int(n * (ratios[0] + ratios[1]) / sum) : trainEnd
        var parts: [[Int]] = [[], [], []]
        for (k, user) in users.enumerated() {
            parts[k < trainEnd ? 0 : (k < validEnd ? 1 : 2)].append(contentsOf: byUser.row(user).map(Int.init))
        }
        return DatasetSplit(table, parts: parts)
    }

    /// Part sizes for `total` rows and `ratios`, with RecBole's rounding.
    ///
    /// `cnt[i] = Int(r[i] * total)` for `i >= 1` and `cnt[0]` takes the rest; then, from the
    /// last part backwards, a part whose exact share is in (0, 1) gets one row from part 0,
    /// stopping once part 0 has at most one row. E.g. 10 -> 8/1/1, 5 -> 3/1/1, 2 -> 1/0/1.
    public static func ratioCounts(total: Int, ratios: [Double]) -> [Int] {
        let sum = ratios.reduce(0, +)
        let shares = ratios.map { $0 / sum }
        var counts = shares.map { Int($0 * Double(total)) }
        counts[0] = total - counts.dropFirst().reduce(0, +)
        for i in stride(from: 1, to: shares.count, by: 1) {
            if counts[0] <= 1 { break }
            let k = shares.count - i
            let exact = shares[k] * Double(total)
            if exact > 0 && exact < 1 {
                counts[k] += 1
                counts[0] -= 1
            }
        }
        return counts
    }
}
