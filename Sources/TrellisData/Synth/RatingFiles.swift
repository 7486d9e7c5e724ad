import Foundation

/// Writes drawn ratings as the files a user would have: a CSV (`user_id,movie_id,rating,timestamp`)
/// and a RecBole atomic `.inter` file, ids 1-based. Each file is written to `<name>.tmp` and
/// renamed into place, so a reader never sees half of one; the two are written on two threads.
public enum RatingFiles {
    /// Writes `<directory>/<stem>.csv` and `<stem>.inter`; returns their paths.
    public static func write(_ r: LetterboxdSynth.Ratings, directory: String, stem: String) throws -> [String] {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let formats: [(String, String, UInt8)] = [
            ("csv", "user_id,movie_id,rating,timestamp\n", UInt8(ascii: ",")),
            ("inter", "user_id:token\titem_id:token\trating:float\ttimestamp:float\n", UInt8(ascii: "\t")),
        ]
        var errors = [Error?](repeating: nil, count: formats.count)
        DispatchQueue.concurrentPerform(iterations: formats.count) { k in
            let (ext, header, separator) = formats[k]
            do { try write(r, to: "\(directory)/\(stem).\(ext)", header: header, separator: separator) } catch { errors[k] = error }
        }
        if let error = errors.compactMap({ $0 }).first { throw error }
        return formats.map { "\(directory)/\(stem).\($0.0)" }
    }

    static func write(_ r: LetterboxdSynth.Ratings, to path: String, header: String, separator: UInt8) throws {
        let temporary = path + ".tmp"
        guard let file = fopen(temporary, "wb") else { throw DataError.unwritable(temporary, errno) }
        var buffer = [UInt8](header.utf8)
        buffer.reserveCapacity(1 << 23)
        let stars = (0...10).map { Array(String(format: "%.1f", Double($0) / 2).utf8) }
        func flush() throws {
            guard fwrite(buffer, 1, buffer.count, file) == buffer.count else {
                fclose(file)
                throw DataError.unwritable(temporary, errno)
            }
            buffer.removeAll(keepingCapacity: true)
        }
        for e in 0..<r.users.count {
            append(Int64(r.users[e]) + 1, to: &buffer); buffer.append(separator)
            append(Int64(r.movies[e]) + 1, to: &buffer); buffer.append(separator)
            buffer.append(contentsOf: stars[Int(r.halfStars[e])]); buffer.append(separator)
            append(r.timestamps[e], to: &buffer); buffer.append(UInt8(ascii: "\n"))
            if buffer.count > (1 << 23) - 64 { try flush() }
        }
        try flush()
        guard fflush(file) == 0, fsync(fileno(file)) == 0, fclose(file) == 0 else { throw DataError.unwritable(temporary, errno) }
        guard rename(temporary, path) == 0 else { throw DataError.unwritable(path, errno) }
    }

    /// Decimal digits of a non-negative `value`.
    @inline(__always)
    static func append(_ value: Int64, to buffer: inout [UInt8]) {
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
}
