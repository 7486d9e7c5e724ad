/// Side features from a RecBole `.item` or `.user` atomic file, one row per key.
///
/// The key column (`item_id` / `user_id`) is mapped through an `IDMap`, so passing the
/// interaction table's map lines feature rows up with internal ids. Other columns are stored
/// by declared type; token columns are interned into a per-column vocabulary.
public struct FeatureTable: Sendable {
    /// Typed storage of one non-key column, one entry per row.
    public enum Column: Sendable, Equatable {
        /// `token`: an id per row into `vocabulary` (an empty cell is the token "").
        case token(ids: [Int32], vocabulary: IDMap)
        /// `token_seq`: space-separated tokens per row, as ids into `vocabulary`.
        case tokenSequence(ids: [[Int32]], vocabulary: IDMap)
        /// `float`: a number per row (an empty cell is NaN, as pandas reads it).
        case float([Float])
        /// `float_seq`: space-separated numbers per row (an empty cell is `[]`).
        case floatSequence([[Float]])
    }

    /// Name of the key column, e.g. `item_id`.
    public let keyField: String
    /// All header fields in file order, the key included.
    public let fields: [AtomicField]
    /// Internal key id of each row.
    public private(set) var keys: [Int32]
    /// Raw key <-> internal key id.
    public private(set) var keyIDs: IDMap
    /// Non-key columns by name.
    public private(set) var columns: [String: Column]
    /// Row of each key id, -1 where the key has no row (ids from a passed-in map).
    private var rowOfKey: [Int]

    /// Number of rows.
    public var count: Int { keys.count }

    /// The column named `name`, or nil.
    public func column(_ name: String) -> Column? { columns[name] }

    /// The row holding key id `id`, or nil if the file has no row for it.
    public func row(ofKey id: Int32) -> Int? {
        guard id >= 0, Int(id) < rowOfKey.count, rowOfKey[Int(id)] >= 0 else { return nil }
        return rowOfKey[Int(id)]
    }

    // MARK: Convenience views

    /// A `token` column as raw strings per row, or nil if absent or of another type.
    public func tokens(_ name: String) -> [String]? {
        guard case .token(let ids, let vocabulary)? = columns[name] else { return nil }
        return ids.map { vocabulary.raw(of: $0) }
    }

    /// A `token_seq` column as raw strings per row, or nil if absent or of another type.
    public func tokenSequences(_ name: String) -> [[String]]? {
        guard case .tokenSequence(let ids, let vocabulary)? = columns[name] else { return nil }
        return ids.map { $0.map { vocabulary.raw(of: $0) } }
    }

    /// A `float` column, or nil if absent or of another type.
    public func floats(_ name: String) -> [Float]? {
        guard case .float(let values)? = columns[name] else { return nil }
        return values
    }

    /// A `float_seq` column, or nil if absent or of another type.
    public func floatSequences(_ name: String) -> [[Float]]? {
        guard case .floatSequence(let values)? = columns[name] else { return nil }
        return values
    }

    // MARK: Loading

    /// Loads the atomic file at `path` keyed by `keyField` (a `token` column).
    ///
    /// Pass `keyIDs` (e.g. an interaction table's `itemIDs`) to share its id space; keys not
    /// in it are appended. Duplicate keys, malformed numbers and wrong field counts throw.
    public static func load(path: String, keyField: String, keyIDs: IDMap? = nil) throws -> FeatureTable {
        let file = try TextFile.read(path)
        let header = try AtomicHeader(try file.headerRow(delimiter: .tab), file: path)
        let keyColumn = try header.require(keyField, types: [.token], file: path)
        let names = header.fields.map(\.spelling)
        var keyInterner = TokenInterner(keyIDs ?? IDMap())
        var keys: [Int32] = []
        var firstLine: [Int32: Int] = [:]
        var builders = header.fields.map { ColumnBuilder(type: $0.type) }
        try file.forEachRow(delimiter: .tab) { row in
            if row.line <= header.line { return }
            try checkRowFieldCount(row, names: names, file: path)
            if row.isEmpty(keyColumn) {
                throw DataError.invalidValue(file: path, line: row.line, column: keyColumn + 1,
                                             field: names[keyColumn], expected: "a non-empty id", found: "")
            }
            let key = keyInterner.intern(row.bytes(keyColumn))
            if let earlier = firstLine.updateValue(row.line, forKey: key) {
                throw DataError.invalidValue(file: path, line: row.line, column: keyColumn + 1,
                                             field: names[keyColumn],
                                             expected: "a \(keyField) not already on line \(earlier)",
                                             found: row.string(keyColumn))
            }
            keys.append(key)
            for column in 0..<row.count where column != keyColumn {
                guard builders[column].append(row.bytes(column)) else {
                    let what = header.fields[column].type == .float ? "a number" : "space-separated numbers"
                    throw DataError.invalidValue(file: path, line: row.line, column: column + 1,
                                                 field: names[column], expected: what, found: row.string(column))
                }
            }
        }
        var columns: [String: Column] = [:]
        for (i, field) in header.fields.enumerated() where i != keyColumn {
            columns[field.name] = builders[i].column
        }
        var rowOfKey = [Int](repeating: -1, count: keyInterner.map.count)
        for (row, key) in keys.enumerated() { rowOfKey[Int(key)] = row }
        return FeatureTable(keyField: keyField, fields: header.fields, keys: keys,
                            keyIDs: keyInterner.map, columns: columns, rowOfKey: rowOfKey)
    }
}
