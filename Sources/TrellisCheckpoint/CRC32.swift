/// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), the checksum of zip, gzip and PNG.
///
/// Internal on purpose: it guards checkpoint files against torn writes and bit rot, not
/// against tampering, and keeping it out of the public API avoids clashing with other
/// modules' checksums. `CRC32.checksum(Array("123456789".utf8)) == 0xCBF43926`.
enum CRC32 {
    /// One entry per byte value: the CRC of that byte alone, so the loop does a lookup
    /// instead of eight shift-and-xor rounds.
    private static let table: [UInt32] = (0..<256).map { byte in
        var crc = UInt32(byte)
        for _ in 0..<8 { crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        return crc
    }

    /// The checksum of `bytes`.
    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        update(0, bytes)
    }

    /// Continues `crc` (a previous `checksum`/`update` result, or 0 to start) over `bytes`.
    static func update(_ crc: UInt32, _ bytes: [UInt8]) -> UInt32 {
        var value = ~crc
        table.withUnsafeBufferPointer { table in
            for byte in bytes {
                value = table[Int((value ^ UInt32(byte)) & 0xFF)] ^ (value >> 8)
            }
        }
        return ~value
    }

    /// `crc` as eight lowercase hex digits, the manifest's spelling.
    static func hex(_ crc: UInt32) -> String {
        let digits = String(crc, radix: 16)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }
}
