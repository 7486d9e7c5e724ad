// MARK: Variable-length integers

extension ByteWriter {
    /// Appends `value` as an unsigned LEB128 varint: 7 bits per byte, low bits first, high
    /// bit set on every byte but the last (1 byte below 128, at most 10).
    public mutating func varuint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            u8(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        u8(UInt8(v))
    }

    /// Appends `value` zigzag-mapped (0, -1, 1, -2, ... -> 0, 1, 2, 3, ...) as a varint, so
    /// small negative numbers stay short.
    public mutating func varint(_ value: Int64) {
        varuint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }
}
