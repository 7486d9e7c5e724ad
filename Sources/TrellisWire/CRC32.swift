/// CRC-32/IEEE (the zlib, PNG and Ethernet checksum: reflected polynomial 0xEDB88320,
/// initial value and final xor 0xFFFFFFFF).
///
/// Table-driven, eight bytes per step ("slicing-by-8"), so checksumming a gradient frame
/// costs far less than compressing it. Frames and checkpoints share this one implementation.
public enum CRC32 {
    /// The checksum of `bytes`; `checksum(Array("123456789".utf8)) == 0xCBF43926`.
    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0) }
    }

    /// The checksum of the bytes in `buffer`.
    public static func checksum(_ buffer: UnsafeRawBufferPointer) -> UInt32 {
        update(0, with: buffer)
    }

    /// Extends a checksum computed so far (`0` for none) with `buffer`, for data that arrives
    /// in pieces: `update(update(0, a), b) == checksum(a + b)`.
    public static func update(_ crc: UInt32, with buffer: UnsafeRawBufferPointer) -> UInt32 {
        var c = ~crc
        var i = 0
        let n = buffer.count
        table.withUnsafeBufferPointer { t in
            while i + 8 <= n {
                let lo = c ^ buffer.loadUnaligned(fromByteOffset: i, as: UInt32.self).littleEndian
                let hi = buffer.loadUnaligned(fromByteOffset: i + 4, as: UInt32.self).littleEndian
                c = t[7 * 256 + Int(lo & 0xFF)] ^ t[6 * 256 + Int((lo >> 8) & 0xFF)]
                  ^ t[5 * 256 + Int((lo >> 16) & 0xFF)] ^ t[4 * 256 + Int(lo >> 24)]
                  ^ t[3 * 256 + Int(hi & 0xFF)] ^ t[2 * 256 + Int((hi >> 8) & 0xFF)]
                  ^ t[1 * 256 + Int((hi >> 16) & 0xFF)] ^ t[Int(hi >> 24)]
                i += 8
            }
            while i < n {
                c = t[Int((c ^ UInt32(buffer[i])) & 0xFF)] ^ (c >> 8)
                i += 1
            }
        }
        return ~c
    }

    /// Eight 256-entry tables: table k maps a byte to its CRC after k further zero bytes.
    private static let table: [UInt32] = {
        var t = [UInt32](repeating: 0, count: 8 * 256)
        for b in 0..<256 {
            var c = UInt32(b)
            for _ in 0..<8 { c = (c & 1) != 0 ? (c >> 1) ^ 0xEDB8_8320 : c >> 1 }
            t[b] = c
        }
        for k in 1..<8 {
            for b in 0..<256 {
                let previous = t[(k - 1) * 256 + b]
                t[k * 256 + b] = t[Int(previous & 0xFF)] ^ (previous >> 8)
            }
        }
        return t
    }()
}
