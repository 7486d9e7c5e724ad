import CZlib

/// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), the checksum of zip, gzip and PNG.
///
/// Internal on purpose: it guards checkpoint files against torn writes and bit rot, not
/// against tampering, and keeping it out of the public API avoids clashing with other
/// modules' checksums. `CRC32.checksum(Array("123456789".utf8)) == 0xCBF43926`.
enum CRC32 {
    /// The checksum of `bytes`.
    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        update(0, bytes)
    }

    /// Continues `crc` (a previous `checksum`/`update` result, or 0 to start) over `bytes`,
    /// with zlib's `crc32_z` (several times the byte-at-a-time table loop it replaced).
    static func update(_ crc: UInt32, _ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBufferPointer { b in
            guard let base = b.baseAddress, !b.isEmpty else { return crc }
            return UInt32(truncatingIfNeeded: crc32_z(UInt(crc), base, b.count))
        }
    }

    /// `crc` as eight lowercase hex digits, the manifest's spelling.
    static func hex(_ crc: UInt32) -> String {
        let digits = String(crc, radix: 16)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }
}
