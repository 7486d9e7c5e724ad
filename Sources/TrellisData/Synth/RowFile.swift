import Foundation

/// A text file written row by row through an 8 MB buffer to `<path>.tmp`, flushed, synced and
/// renamed into place by `finish()`, so a reader never sees half of it. Numbers are written as
/// their decimal digits without going through `String`.
struct RowFile {
    let path: String
    private let file: UnsafeMutablePointer<FILE>
    private var buffer: [UInt8] = []

    init(path: String, header: String) throws {
        self.path = path
        guard let file = fopen(path + ".tmp", "wb") else { throw DataError.unwritable(path + ".tmp", errno) }
        self.file = file
        buffer.reserveCapacity(1 << 23)
        buffer.append(contentsOf: header.utf8)
    }

    /// Appends `value`'s decimal digits (non-negative).
    @inline(__always)
    mutating func number(_ value: Int64) {
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var v = value, n = 0
        withUnsafeMutableBytes(of: &digits) { d in
            repeat {
                d[n] = UInt8(ascii: "0") + UInt8(v % 10)
                v /= 10
                n += 1
            } while v > 0
            for k in stride(from: n - 1, through: 0, by: -1) { buffer.append(d[k]) }
        }
    }

    mutating func bytes(_ b: [UInt8]) { buffer.append(contentsOf: b) }
    mutating func byte(_ b: UInt8) { buffer.append(b) }

    /// Ends a row; writes the buffer out when it is nearly full.
    mutating func endRow() throws {
        buffer.append(UInt8(ascii: "\n"))
        if buffer.count > (1 << 23) - 256 { try flush() }
    }

    private mutating func flush() throws {
        guard fwrite(buffer, 1, buffer.count, file) == buffer.count else {
            fclose(file)
            throw DataError.unwritable(path + ".tmp", errno)
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Writes the rest, syncs, closes and moves the file into place.
    mutating func finish() throws {
        try flush()
        guard fflush(file) == 0, fsync(fileno(file)) == 0, fclose(file) == 0 else { throw DataError.unwritable(path + ".tmp", errno) }
        guard rename(path + ".tmp", path) == 0 else { throw DataError.unwritable(path, errno) }
    }
}
