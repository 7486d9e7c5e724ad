// MARK: Variable-length integers

extension ByteReader {
    /// Reads an unsigned LEB128 varint written by `ByteWriter.varuint`. Throws on truncation
    /// and on encodings longer than 10 bytes or above UInt64.max.
    public mutating func varuint(_ field: String) throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let byte = try u8(field)
            let bits = UInt64(byte & 0x7F)
            // The tenth byte may only carry the single top bit of a UInt64.
            if shift == 63 && bits > 1 {
                throw WireError.corrupt(field, "varint overflows 64 bits at offset \(offset - 1)")
            }
            result |= bits << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
            if shift > 63 {
                throw WireError.corrupt(field, "varint longer than 10 bytes at offset \(offset - 1)")
            }
        }
    }

    /// Reads a zigzag varint written by `ByteWriter.varint`.
    public mutating func varint(_ field: String) throws -> Int64 {
        let raw = try varuint(field)
        return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }
}
