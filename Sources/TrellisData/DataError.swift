import Foundation
import TrellisCore

/// A problem found while loading or assembling data, pinned to a file, line and column.
///
/// Loaders throw this before returning anything, so a caller never sees a half-loaded
/// table. `description` reads like a compiler diagnostic:
/// `ml-100k.inter:17: column 3 (rating:float): expected a number, found "abc"`.
public struct DataError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What went wrong, coarsely; the other fields say where and how.
    public enum Kind: String, Sendable, Equatable {
        /// A field's text does not parse as its declared type (or an id is empty).
        case invalidValue
        /// A row has more or fewer fields than the header (or format) declares.
        case wrongFieldCount
        /// The header line is malformed: bad `name:type`, unknown type, duplicate name.
        case invalidHeader
        /// A required column (e.g. `item_id`) is absent from the header.
        case missingColumn
        /// The file does not exist.
        case missingFile
        /// The file exists but could not be read, or is empty where a header is needed.
        case unreadableFile
        /// A node id handed to a graph is outside its node type's range.
        case idOutOfRange
        /// The file (or a split part that training needs) holds no interaction rows.
        case noInteractions
        /// A file being written could not be created, written or moved into place.
        case unwritableFile
    }

    /// The kind of problem.
    public var kind: Kind
    /// The file path as given to the loader (for graphs: the relation, e.g. `user-rates->item`).
    public var file: String
    /// 1-based line number (the header is line 1); for graphs the 1-based edge number; 0 if none.
    public var line: Int
    /// 1-based field index within the line, or 0 when not applicable.
    public var column: Int
    /// The column's name as in the header, e.g. `rating:float`; empty when not applicable.
    public var field: String
    /// What the loader expected, e.g. `a number`.
    public var expected: String
    /// What it found instead (the raw text for value errors).
    public var found: String

    /// A diagnostic with every field given explicitly.
    public init(kind: Kind, file: String, line: Int, column: Int = 0, field: String = "",
                expected: String, found: String) {
        self.kind = kind
        self.file = file
        self.line = line
        self.column = column
        self.field = field
        self.expected = expected
        self.found = found
    }

    // MARK: Constructors for common cases

    /// A field whose text does not parse as `expected`.
    public static func invalidValue(file: String, line: Int, column: Int, field: String,
                                    expected: String, found: String) -> DataError {
        DataError(kind: .invalidValue, file: file, line: line, column: column, field: field,
                  expected: expected, found: found)
    }

    /// The file at `path` does not exist.
    public static func missingFile(_ path: String) -> DataError {
        DataError(kind: .missingFile, file: path, line: 0, expected: "an existing file", found: "no such file")
    }

    /// Writing `path` failed with `code` (an errno).
    public static func unwritable(_ path: String, _ code: Int32) -> DataError {
        DataError(kind: .unwritableFile, file: path, line: 0, expected: "a writable file", found: String(cString: strerror(code)))
    }

    /// `path` has no interaction rows (it is empty, or only a header).
    public static func noInteractions(_ path: String) -> DataError {
        DataError(kind: .noInteractions, file: path, line: 0, expected: "at least one interaction row", found: "none")
    }

    /// The header at `line` lacks the column `name`; `header` lists what it has.
    public static func missingColumn(file: String, line: Int = 1, name: String, header: [String]) -> DataError {
        DataError(kind: .missingColumn, file: file, line: line, field: name,
                  expected: "a column named \(name)", found: header.joined(separator: ", "))
    }

    // MARK: Description

    public var description: String {
        var text = file
        if line > 0 { text += ":\(line)" }
        text += ": "
        if column > 0 {
            text += field.isEmpty ? "column \(column): " : "column \(column) (\(field)): "
        }
        // Raw text is quoted so empty or space-only values stay visible.
        let quoted: Bool
        switch kind {
        case .invalidValue, .invalidHeader, .idOutOfRange: quoted = true
        default: quoted = false
        }
        // Echoed text is cut: one 5,000-character field should not fill the terminal.
        let shown = Echo.cut(found)
        text += "expected \(expected), found " + (quoted ? "\"\(shown)\"" : shown)
        return text
    }
}
