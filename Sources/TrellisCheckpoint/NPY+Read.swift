import Foundation

extension NPY {
    /// A 2-D float matrix from `.npy` file bytes (version 1.0 to 3.0; `<f4` or `<f8`, C order),
    /// as (rows, columns, values row-major in Float). Every header field is checked against
    /// the file's length before the elements are read; anything else (Fortran order, other
    /// types, another rank, pickled objects) is refused naming `file` and what was found.
    public static func floatMatrix(_ bytes: [UInt8], file: String) throws -> (rows: Int, columns: Int, values: [Float]) {
        func fail(_ kind: CheckpointError.Kind, _ expected: String, _ found: String) -> CheckpointError {
            CheckpointError(kind: kind, file: file, expected: expected, found: found)
        }
        guard bytes.count >= 10, Array(bytes[0..<6]) == [0x93] + Array("NUMPY".utf8) else {
            throw fail(.invalidHeader, "the .npy magic \\x93NUMPY", "\(bytes.prefix(6).map { String($0) }.joined(separator: " "))")
        }
        let major = bytes[6]
        guard (1...3).contains(major) else { throw fail(.invalidHeader, "format version 1, 2 or 3", "version \(major)") }
        let wide = major >= 2, start = wide ? 12 : 10
        guard bytes.count >= start else { throw fail(.truncated, "a \(start)-byte preamble", "\(bytes.count) bytes") }
        let length = wide ? Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24 : Int(bytes[8]) | Int(bytes[9]) << 8
        guard length <= 1 << 20, bytes.count >= start + length else {
            throw fail(.truncated, "a header of \(length) bytes", "\(bytes.count - start) bytes after the preamble")
        }
        let header = String(decoding: bytes[start..<(start + length)], as: UTF8.self)
        func field(_ name: String) -> Substring? {
            guard let key = header.range(of: "'\(name)':") else { return nil }
            let rest = header[key.upperBound...].drop { $0 == " " }
            if rest.first == "(" { return rest.prefix { $0 != ")" }.dropFirst() }
            return rest.prefix { $0 != "," && $0 != "}" }
        }
        let descr = field("descr").map { $0.trimmingCharacters(in: .init(charactersIn: " '")) } ?? "?"
        guard descr == "<f4" || descr == "<f8" else { throw fail(.typeMismatch, "descr '<f4' or '<f8' (little-endian float)", "'\(descr)'") }
        guard field("fortran_order")?.trimmingCharacters(in: .whitespaces) == "False" else {
            throw fail(.invalidHeader, "fortran_order False (C order)", "\(field("fortran_order") ?? "none")")
        }
        let dims = (field("shape") ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard dims.count == 2, let rows = Int(dims[0]), let columns = Int(dims[1]), rows >= 0, columns >= 1,
              rows <= Int(Int32.max), columns <= 1 << 20 else {
            throw fail(.invalidTensor, "a 2-D shape (rows, columns)", "(\(dims.joined(separator: ", ")))")
        }
        let size = descr == "<f4" ? 4 : 8, body = start + length
        guard bytes.count - body == rows * columns * size else {
            throw fail(.truncated, "\(rows * columns * size) bytes of elements for shape (\(rows), \(columns))", "\(bytes.count - body)")
        }
        var values = [Float](repeating: 0, count: rows * columns)
        bytes.withUnsafeBytes { raw in
            for k in 0..<values.count {
                let at = body + k * size
                values[k] = size == 4 ? Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt32.self)))
                    : Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt64.self))))
            }
        }
        return (rows, columns, values)
    }
}
