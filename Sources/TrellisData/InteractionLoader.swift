/// Loads interaction files into `InteractionTable`s.
///
/// Loading is all-or-nothing: the first malformed row throws a `DataError` naming the file,
/// line, column and what was expected, and nothing is returned. Maps passed in are copied,
/// so a failed load leaves the caller's maps untouched.
public enum InteractionLoader {
    /// Loads `path` in `format` (inferred from the file name when nil).
    ///
    /// Pass `userIDs`/`itemIDs` from an earlier load to share its id spaces: known raw ids
    /// keep their internal ids and unknown ones are appended. A rating outside `ratingScale`
    /// (default: the format's declared scale, if any) is an error, and so is a file without rows.
    public static func load(path: String, format: InteractionFormat? = nil, ratingScale: ClosedRange<Double>? = nil,
                            userIDs: IDMap? = nil, itemIDs: IDMap? = nil) throws -> InteractionTable {
        guard let format = format ?? InteractionFormat.infer(path: path) else {
            throw DataError(kind: .unreadableFile, file: path, line: 0,
                            expected: "a known interaction format (.inter, u.data, *.base, *.test, .dat, .csv)",
                            found: "an unrecognised file name")
        }
        let file = try TextFile.read(path)
        var layout = try Layout.make(format: format, file: file)
        layout.ratingScale = ratingScale ?? format.ratingScale
        let table = try parse(file, layout: layout, userIDs: userIDs ?? IDMap(), itemIDs: itemIDs ?? IDMap())
        guard table.count > 0 else { throw DataError.noInteractions(path) }
        return table
    }

    // MARK: Layout

    /// Where each column sits in a row, decided by the format and (if any) the header.
    struct Layout {
        var delimiter: Delimiter
        /// Column names for diagnostics, e.g. `rating:float`.
        var names: [String]
        var user: Int
        var item: Int
        var rating: Int?
        var timestamp: Int?
        /// Line number of the header, or 0 when the format has none.
        var headerLine: Int
        /// Ratings outside this are refused; nil accepts any number.
        var ratingScale: ClosedRange<Double>? = nil

        static func make(format: InteractionFormat, file: TextFile) throws -> Layout {
            switch format {
            case .recboleAtomic:
                let header = try AtomicHeader(try file.headerRow(delimiter: .tab), file: file.path)
                return Layout(delimiter: .tab, names: header.fields.map(\.spelling),
                              user: try header.require("user_id", types: [.token], file: file.path),
                              item: try header.require("item_id", types: [.token], file: file.path),
                              rating: try header.optional("rating", types: [.float], file: file.path),
                              timestamp: try header.optional("timestamp", types: [.float], file: file.path),
                              headerLine: header.line)
            case .movielensUData, .movielensDat:
                return Layout(delimiter: format == .movielensDat ? .doubleColon : .tab,
                              names: ["user_id", "item_id", "rating", "timestamp"],
                              user: 0, item: 1, rating: 2, timestamp: 3, headerLine: 0)
            case .movielensCSV:
                let row = try file.headerRow(delimiter: .comma)
                let names = row.cells.map { $0.trimmingTrailingSpaces() }
                func require(_ name: String) throws -> Int {
                    guard let i = names.firstIndex(of: name) else {
                        throw DataError.missingColumn(file: file.path, line: row.line, name: name, header: names)
                    }
                    return i
                }
                return Layout(delimiter: .comma, names: names,
                              user: try require("userId"), item: try require("movieId"),
                              rating: names.firstIndex(of: "rating"),
                              timestamp: names.firstIndex(of: "timestamp"), headerLine: row.line)
            }
        }
    }

    // MARK: Parsing

    static func parse(_ file: TextFile, layout: Layout, userIDs: IDMap, itemIDs: IDMap) throws -> InteractionTable {
        var userInterner = TokenInterner(userIDs)
        var itemInterner = TokenInterner(itemIDs)
        // A rough row estimate (bytes / 16) avoids most regrowth on large files.
        let estimate = file.bytes.count / 16
        var users: [Int32] = [], items: [Int32] = []
        var ratings: [Float] = [], timestamps: [Double] = []
        users.reserveCapacity(estimate); items.reserveCapacity(estimate)
        ratings.reserveCapacity(estimate); timestamps.reserveCapacity(estimate)
        let path = file.path
        try file.forEachRow(delimiter: layout.delimiter) { row in
            if row.line <= layout.headerLine { return }
            try checkRowFieldCount(row, names: layout.names, file: path)
            try requireID(row, layout.user, layout: layout, file: path)
            try requireID(row, layout.item, layout: layout, file: path)
            func onScale(_ value: Double, column: Int) throws -> Double {
                guard let scale = layout.ratingScale, !scale.contains(value) else { return value }
                throw DataError.invalidValue(file: path, line: row.line, column: column + 1, field: layout.names[column],
                                             expected: "a rating from \(plain(scale.lowerBound)) to \(plain(scale.upperBound))",
                                             found: row.string(column))
            }
            func number(_ column: Int) throws -> Double {
                guard let value = row.double(column) else {
                    throw DataError.invalidValue(file: path, line: row.line, column: column + 1,
                                                 field: layout.names[column], expected: "a number",
                                                 found: row.string(column))
                }
                return value
            }
            let rating = try layout.rating.map { Float(try onScale(number($0), column: $0)) } ?? 1
            let timestamp = try layout.timestamp.map { try number($0) } ?? Double(users.count)
            users.append(userInterner.intern(row.bytes(layout.user)))
            items.append(itemInterner.intern(row.bytes(layout.item)))
            ratings.append(rating)
            timestamps.append(timestamp)
        }
        return InteractionTable(users: users, items: items, ratings: ratings, timestamps: timestamps,
                                userIDs: userInterner.map, itemIDs: itemInterner.map)
    }

    /// `5` rather than `5.0` in messages.
    private static func plain(_ v: Double) -> String { v == v.rounded() ? String(Int(v)) : "\(v)" }

    @inline(__always)
    private static func requireID(_ row: Row, _ column: Int, layout: Layout, file: String) throws {
        guard row.isEmpty(column) else { return }
        throw DataError.invalidValue(file: file, line: row.line, column: column + 1,
                                     field: layout.names[column], expected: "a non-empty id", found: "")
    }
}
