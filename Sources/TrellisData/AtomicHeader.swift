/// The type of a RecBole atomic-file column, as written after the colon in the header.
public enum AtomicFieldType: String, Sendable, Equatable, CaseIterable {
    /// A single categorical value (an id).
    case token
    /// Space-separated categorical values.
    case tokenSequence = "token_seq"
    /// A single number.
    case float
    /// Space-separated numbers.
    case floatSequence = "float_seq"
}

/// One column of a RecBole atomic file header, e.g. `rating:float`.
public struct AtomicField: Sendable, Equatable {
    /// The column name before the colon, e.g. `rating`.
    public var name: String
    /// The declared type after the colon.
    public var type: AtomicFieldType

    /// A field named `name` of type `type`.
    public init(name: String, type: AtomicFieldType) {
        self.name = name
        self.type = type
    }

    /// The header spelling, `name:type`.
    public var spelling: String { "\(name):\(type.rawValue)" }
}

/// The header line of a RecBole atomic file (`.inter`, `.item`, `.user`, `.kg`, `.link`).
struct AtomicHeader {
    /// Columns in file order.
    let fields: [AtomicField]
    /// The header's line number (1 unless blank lines precede it).
    let line: Int

    /// Parses the header from `row`, rejecting missing colons, unknown types and duplicates.
    init(_ row: HeaderRow, file: String) throws {
        var fields: [AtomicField] = []
        var seen = Set<String>()
        for (i, text) in row.cells.enumerated() {
            guard let colon = text.lastIndex(of: ":"), colon != text.startIndex else {
                throw DataError(kind: .invalidHeader, file: file, line: row.line, column: i + 1,
                                field: text, expected: "name:type", found: text)
            }
            let name = String(text[..<colon])
            let typeText = String(text[text.index(after: colon)...]).trimmingTrailingSpaces()
            guard let type = AtomicFieldType(rawValue: typeText) else {
                let known = AtomicFieldType.allCases.map(\.rawValue).joined(separator: ", ")
                throw DataError(kind: .invalidHeader, file: file, line: row.line, column: i + 1,
                                field: text, expected: "a type among \(known)", found: typeText)
            }
            guard seen.insert(name).inserted else {
                throw DataError(kind: .invalidHeader, file: file, line: row.line, column: i + 1,
                                field: text, expected: "a unique column name", found: name)
            }
            fields.append(AtomicField(name: name, type: type))
        }
        self.fields = fields
        self.line = row.line
    }

    /// Index of column `name`, or nil.
    func index(of name: String) -> Int? { fields.firstIndex { $0.name == name } }

    /// Index of the required column `name`, checking its type is one of `types`.
    func require(_ name: String, types: [AtomicFieldType], file: String) throws -> Int {
        guard let i = index(of: name) else {
            throw DataError.missingColumn(file: file, line: line, name: name, header: fields.map(\.spelling))
        }
        try check(i, types: types, file: file)
        return i
    }

    /// Index of the optional column `name` (nil if absent), checking its type when present.
    func optional(_ name: String, types: [AtomicFieldType], file: String) throws -> Int? {
        guard let i = index(of: name) else { return nil }
        try check(i, types: types, file: file)
        return i
    }

    private func check(_ i: Int, types: [AtomicFieldType], file: String) throws {
        guard types.contains(fields[i].type) else {
            throw DataError(kind: .invalidHeader, file: file, line: line, column: i + 1,
                            field: fields[i].spelling,
                            expected: "type " + types.map(\.rawValue).joined(separator: " or "),
                            found: fields[i].type.rawValue)
        }
    }

    /// Throws unless `row` has exactly one field per header column.
    func checkFieldCount(_ row: Row, file: String) throws {
        try checkRowFieldCount(row, names: fields.map(\.spelling), file: file)
    }
}

/// Throws `wrongFieldCount` unless `row` has `names.count` fields; the column reported is
/// the first missing one (too few) or the first extra one (too many).
func checkRowFieldCount(_ row: Row, names: [String], file: String) throws {
    guard row.count != names.count else { return }
    let column = min(row.count, names.count) + 1
    throw DataError(kind: .wrongFieldCount, file: file, line: row.line, column: column,
                    field: row.count < names.count ? names[row.count] : "",
                    expected: "\(names.count) fields", found: "\(row.count)")
}

extension String {
    /// The string without trailing spaces (header cells sometimes carry them).
    func trimmingTrailingSpaces() -> String {
        var end = endIndex
        while end > startIndex, self[index(before: end)] == " " { end = index(before: end) }
        return String(self[..<end])
    }
}
