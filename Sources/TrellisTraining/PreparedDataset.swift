import TrellisData

/// A dataset loaded, split, and indexed the way training and evaluation need it.
public struct PreparedDataset: Sendable {
    public let name: String
    public let split: DatasetSplit
    /// user -> training items (sorted, unique): negatives avoid these; validation masks them.
    public let trainItems: CSRMatrix
    /// user -> validation items.
    public let validItems: CSRMatrix
    /// user -> test items.
    public let testItems: CSRMatrix
    /// user -> training and validation items: masked when ranking for test.
    public let trainAndValidItems: CSRMatrix

    /// Users and items across all parts (ids first seen in valid or test included).
    public var userCount: Int { trainItems.rowCount }
    public var itemCount: Int { trainItems.columnCount }

    /// Loads `settings.path` (or the split files) and splits with `seed`.
    public static func load(_ settings: DataSettings, seed: UInt64) throws -> PreparedDataset {
        if settings.format == InteractionFormatName.prepared.rawValue {
            return PreparedDataset(name: settings.name, split: try PreparedFiles.read(settings.path, settings: settings.splitSettings(seed: seed)))
        }
        let format = settings.format.map(Self.format)
        let scale = settings.ratingScale.map { $0[0]...$0[1] }
        func table() throws -> InteractionTable { try InteractionLoader.load(path: settings.path, format: format, ratingScale: scale) }
        let split: DatasetSplit
        switch settings.split {
        case .ratio:
            split = DatasetSplit.randomRatio(try table(), ratios: settings.ratios, seed: seed)
        case .leaveOneOut:
            split = DatasetSplit.leaveOneOut(try table())
        case .users:
            split = DatasetSplit.byUser(try table(), ratios: settings.ratios, seed: seed)
        case .time:
            split = DatasetSplit.timeCutoff(try table(), validFrom: settings.validFrom!, testFrom: settings.testFrom!)
        case .files:
            split = try DatasetSplit.fixedFiles(train: settings.trainFile!, valid: settings.validFile,
                                                test: settings.testFile!, format: format, ratingScale: scale)
        case .rows:
            split = try rowBlock(try table(), settings, seed: seed)
        }
        // A time cut-off before every timestamp leaves nothing to train on.
        guard split.train.count > 0 else {
            throw DataError(kind: .noInteractions, file: settings.split == .files ? settings.trainFile! : settings.path, line: 0,
                            expected: "at least one training interaction after the \(settings.split.rawValue) split", found: "none")
        }
        return PreparedDataset(name: settings.name, split: split)
    }

    /// Indexes an existing split.
    public init(name: String, split: DatasetSplit) {
        self.name = name
        // Every part shares the id maps; the largest count covers ids first seen in valid/test.
        let users = max(split.train.userCount, split.valid.userCount, split.test.userCount)
        let items = max(split.train.itemCount, split.valid.itemCount, split.test.itemCount)
        func index(_ t: InteractionTable) -> CSRMatrix {
            CSRMatrix(rowCount: users, columnCount: items, rows: t.users, columns: t.items, values: nil, sortRows: true)
                .removingDuplicateColumns()
        }
        self.split = split
        trainItems = index(split.train)
        validItems = index(split.valid)
        testItems = index(split.test)
        trainAndValidItems = CSRMatrix(rowCount: users, columnCount: items,
                                       rows: split.train.users + split.valid.users,
                                       columns: split.train.items + split.valid.items,
                                       values: nil, sortRows: true).removingDuplicateColumns()
    }

    /// The `rows` split, once the table is known to hold the whole test block.
    private static func rowBlock(_ table: InteractionTable, _ settings: DataSettings, seed: UInt64) throws -> DatasetSplit {
        let rows = settings.testStart..<(settings.testStart + settings.testRows!)
        guard rows.upperBound <= table.count else {
            throw DataError(kind: .noInteractions, file: settings.path, line: 0,
                            expected: "at least \(rows.upperBound) rows for data.test_start \(settings.testStart) + data.test_rows \(settings.testRows!)",
                            found: "\(table.count)")
        }
        return DatasetSplit.rowBlock(table, testRows: rows, validRatio: settings.validRatio, seed: seed)
    }

    static func format(_ name: String) -> InteractionFormat {
        switch InteractionFormatName(rawValue: name)! {
        case .recbole: return .recboleAtomic
        case .movielensUData: return .movielensUData
        case .movielensDat: return .movielensDat
        case .movielensCSV: return .movielensCSV
        case .prepared: preconditionFailure("a prepared folder is read by PreparedFiles, not a loader")
        }
    }
}
