import Foundation

/// Writes drawn ratings as the files a user would have: a CSV (`user_id,movie_id,rating,timestamp`)
/// and a RecBole atomic `.inter` file, ids 1-based, each a `RowFile` (written to a `.tmp`,
/// renamed into place); the two are written on two threads.
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
        var out = try RowFile(path: path, header: header)
        let stars = (0...10).map { Array(String(format: "%.1f", Double($0) / 2).utf8) }
        for e in 0..<r.users.count {
            out.number(Int64(r.users[e]) + 1); out.byte(separator)
            out.number(Int64(r.movies[e]) + 1); out.byte(separator)
            out.bytes(stars[Int(r.halfStars[e])]); out.byte(separator)
            out.number(r.timestamps[e])
            try out.endRow()
        }
        try out.finish()
    }
}
