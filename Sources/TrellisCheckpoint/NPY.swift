/// Writer for NumPy's `.npy` format, version 1.0 (what `numpy.save` writes and `numpy.load`
/// reads without `allow_pickle`):
///
///     offset  bytes  field
///     0       6      magic "\x93NUMPY"
///     6       2      version 1, 0
///     8       2      header length H, little-endian UInt16
///     10      H      ASCII dict {'descr': '<f4', 'fortran_order': False, 'shape': (r, c), }
///                    padded with spaces and ended by "\n" so that 10 + H is a multiple of 64
///     10 + H  …      the elements, C order, little-endian
///
/// Two element types are written: float32 (`<f4`) and fixed-width Unicode strings (`<U<n>`,
/// n UTF-32 code units per element, shorter strings padded with zeros), which is how NumPy
/// stores an array of `str` without pickling.
public enum NPY {
    /// The file bytes of a float32 array of `shape` holding `values` (row-major).
    public static func float32(shape: [Int], values: [Float]) -> [UInt8] {
        precondition(shape.reduce(1, *) == values.count, "NPY: shape \(shape) needs \(shape.reduce(1, *)) values, got \(values.count)")
        var out = header(descr: "<f4", shape: shape)
        out.reserveCapacity(out.count + values.count * 4)
        for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { out.append(contentsOf: $0) } }
        return out
    }

    /// The file bytes of a 1-D array of Unicode strings (`<U<n>`, n the longest string's
    /// length in Unicode scalars, at least 1).
    public static func strings(_ strings: [String]) -> [UInt8] {
        let width = max(1, strings.map { $0.unicodeScalars.count }.max() ?? 1)
        var out = header(descr: "<U\(width)", shape: [strings.count])
        out.reserveCapacity(out.count + strings.count * width * 4)
        for s in strings {
            var n = 0
            for scalar in s.unicodeScalars {
                withUnsafeBytes(of: scalar.value.littleEndian) { out.append(contentsOf: $0) }
                n += 1
            }
            out.append(contentsOf: [UInt8](repeating: 0, count: (width - n) * 4))
        }
        return out
    }

    /// Magic, version, length and the padded header dict.
    static func header(descr: String, shape: [Int]) -> [UInt8] {
        // A 1-tuple needs its trailing comma: (5,) not (5).
        let dims = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var dict = Array("{'descr': '\(descr)', 'fortran_order': False, 'shape': \(dims), }".utf8)
        let unpadded = 10 + dict.count + 1
        dict.append(contentsOf: [UInt8](repeating: 0x20, count: (64 - unpadded % 64) % 64))
        dict.append(0x0A)
        var out: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
        withUnsafeBytes(of: UInt16(dict.count).littleEndian) { out.append(contentsOf: $0) }
        return out + dict
    }
}
