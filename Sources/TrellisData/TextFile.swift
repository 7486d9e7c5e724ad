#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// A whole text file held as bytes, scanned row by row without building a `String` per line.
///
/// Large interaction files (tens of millions of rows) are parsed here: lines and fields are
/// byte ranges into one buffer, and only ids and numbers are materialised.
struct TextFile {
    /// The path as the caller gave it; used in diagnostics.
    let path: String
    /// The file's bytes, with a leading UTF-8 byte-order mark removed.
    let bytes: [UInt8]

    // MARK: Reading

    /// Reads `path` entirely, throwing `DataError.missingFile` / `.unreadableFile`.
    static func read(_ path: String) throws -> TextFile {
        var info = stat()
        guard stat(path, &info) == 0 else { throw DataError.missingFile(path) }
        // fopen succeeds on a directory on Linux and ftell then reports nonsense sizes.
        guard info.st_mode & S_IFMT == S_IFREG else { throw unreadable(path, "not a regular file") }
        guard let handle = fopen(path, "rb") else { throw unreadable(path, "could not open") }
        defer { fclose(handle) }
        guard fseek(handle, 0, SEEK_END) == 0 else { throw unreadable(path, "not seekable") }
        let size = ftell(handle)
        guard size >= 0, fseek(handle, 0, SEEK_SET) == 0 else { throw unreadable(path, "not seekable") }
        var readCount = 0
        var bytes = [UInt8](unsafeUninitializedCapacity: Int(size)) { buffer, initialised in
            readCount = size == 0 ? 0 : fread(buffer.baseAddress, 1, Int(size), handle)
            initialised = readCount
        }
        guard readCount == Int(size) else { throw unreadable(path, "a short read") }
        // Spreadsheet exports often start with a BOM; it would otherwise glue onto field 1.
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF {
            bytes.removeFirst(3)
        }
        return TextFile(path: path, bytes: bytes)
    }

    private static func unreadable(_ path: String, _ found: String) -> DataError {
        DataError(kind: .unreadableFile, file: path, line: 0, expected: "a readable file", found: found)
    }

    // MARK: Scanning

    /// Calls `body` for every non-blank line, in order, with the line split on `delimiter`.
    ///
    /// Line numbers are 1-based and count blank lines too. `\r\n` endings are accepted and a
    /// missing final newline is fine. Blank lines are skipped, as pandas (RecBole) does.
    func forEachRow(delimiter: Delimiter, _ body: (inout Row) throws -> Void) throws {
        try bytes.withUnsafeBufferPointer { buffer in
            var row = Row(base: buffer, line: 0, fields: [])
            row.fields.reserveCapacity(16)
            var start = 0
            let end = buffer.count
            var line = 0
            while start < end {
                line += 1
                var stop = start
                while stop < end && buffer[stop] != 0x0A { stop += 1 }
                let next = stop + 1
                if stop > start && buffer[stop - 1] == 0x0D { stop -= 1 }
                if stop > start {
                    row.line = line
                    row.split(start, stop, delimiter)
                    try body(&row)
                }
                start = next
            }
        }
    }

    /// The first non-blank line as strings, for headers; throws on an empty file.
    func headerRow(delimiter: Delimiter) throws -> HeaderRow {
        var header: HeaderRow?
        do {
            try forEachRow(delimiter: delimiter) { row in
                header = HeaderRow(line: row.line, cells: (0..<row.count).map { row.string($0) })
                throw StopScan()
            }
        } catch is StopScan {}
        guard let header else {
            throw DataError(kind: .unreadableFile, file: path, line: 1,
                            expected: "a header line", found: "an empty file")
        }
        return header
    }
}

/// A header line copied out of a `TextFile`.
struct HeaderRow {
    /// 1-based line number.
    let line: Int
    /// The header's cells in order.
    let cells: [String]
}

/// Thrown inside a scan to stop it early; never escapes the module.
struct StopScan: Error {}

/// How fields are separated within a line.
enum Delimiter {
    /// A single byte such as tab or comma.
    case byte(UInt8)
    /// MovieLens `.dat` files' `::`.
    case doubleColon

    static let tab = Delimiter.byte(0x09)
    static let comma = Delimiter.byte(0x2C)
}

/// One line of a `TextFile`, as byte ranges of its fields; valid only inside `forEachRow`.
struct Row {
    let base: UnsafeBufferPointer<UInt8>
    /// 1-based line number in the file.
    var line: Int
    /// Byte ranges of the fields into `base`.
    var fields: [Range<Int>]

    /// Number of fields on this line.
    var count: Int { fields.count }

    mutating func split(_ start: Int, _ stop: Int, _ delimiter: Delimiter) {
        fields.removeAll(keepingCapacity: true)
        var fieldStart = start
        var i = start
        switch delimiter {
        case .byte(let separator):
            while i < stop {
                if base[i] == separator {
                    fields.append(fieldStart..<i)
                    fieldStart = i + 1
                }
                i += 1
            }
        case .doubleColon:
            while i < stop {
                if base[i] == 0x3A && i + 1 < stop && base[i + 1] == 0x3A {
                    fields.append(fieldStart..<i)
                    i += 2
                    fieldStart = i
                } else {
                    i += 1
                }
            }
        }
        fields.append(fieldStart..<stop)
    }

    /// The bytes of field `i`.
    func bytes(_ i: Int) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: base[fields[i]])
    }

    /// Field `i` as a String (invalid UTF-8 is replaced, not rejected).
    func string(_ i: Int) -> String {
        String(decoding: bytes(i), as: UTF8.self)
    }

    /// Whether field `i` is empty.
    func isEmpty(_ i: Int) -> Bool { fields[i].isEmpty }

    /// Field `i` parsed as a number, or nil if it is not one.
    func double(_ i: Int) -> Double? { NumberParser.parseDouble(bytes(i)) }
}
