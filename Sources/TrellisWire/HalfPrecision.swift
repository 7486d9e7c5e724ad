import CHalf

/// Float <-> 16-bit conversions: IEEE binary16 ("fp16") and bfloat16, both rounding to
/// nearest with ties to even.
///
/// Written out by hand rather than through `Float16`, which is missing on some platforms;
/// the bit patterns are what travel on the wire.
///
/// - fp16: 1 sign, 5 exponent, 10 mantissa bits; max 65504, subnormals down to 2^-24.
///   Values rounding above 65504 become infinity; NaN stays NaN (quiet).
/// - bfloat16: the top 16 bits of a Float, rounded; same range as Float, 8 significant bits.
public enum HalfPrecision {
    // MARK: fp16

    /// The fp16 bits nearest to `value` (ties to even).
    @inline(__always)
    public static func fp16Bits(_ value: Float) -> UInt16 {
        let x = value.bitPattern
        let sign = UInt16(truncatingIfNeeded: (x >> 16) & 0x8000)
        let exponent = Int((x >> 23) & 0xFF)
        let mantissa = x & 0x7F_FFFF
        if exponent == 0xFF {
            // Infinity stays infinity; NaN keeps its top payload bits and is made quiet.
            return mantissa == 0 ? sign | 0x7C00 : sign | 0x7E00 | UInt16(truncatingIfNeeded: mantissa >> 13)
        }
        let halfExponent = exponent - 127 + 15
        if halfExponent >= 31 { return sign | 0x7C00 }
        if halfExponent <= 0 {
            // Subnormal result: m = round(significand * 2^(exponent - 126)), significand with
            // its implicit bit. Below half the smallest subnormal everything rounds to zero.
            let shift = 126 - exponent
            if shift > 24 { return sign }
            let significand = mantissa | 0x80_0000
            var m = significand >> UInt32(shift)
            let rest = significand & ((1 << UInt32(shift)) - 1)
            let half: UInt32 = 1 << UInt32(shift - 1)
            if rest > half || (rest == half && (m & 1) == 1) { m += 1 }
            // m may reach 0x400, which is exactly the smallest normal's bit pattern.
            return sign | UInt16(truncatingIfNeeded: m)
        }
        var bits = UInt32(halfExponent) << 10 | (mantissa >> 13)
        let rest = mantissa & 0x1FFF
        if rest > 0x1000 || (rest == 0x1000 && (bits & 1) == 1) {
            // A carry out of the mantissa bumps the exponent; from 30 it lands on infinity.
            bits += 1
        }
        return sign | UInt16(truncatingIfNeeded: bits)
    }

    /// The Float whose value is the fp16 `bits` (exact: every fp16 is a Float).
    @inline(__always)
    public static func float(fp16 bits: UInt16) -> Float {
        let sign = UInt32(bits & 0x8000) << 16
        let exponent = UInt32(bits >> 10) & 0x1F
        let mantissa = UInt32(bits & 0x3FF)
        if exponent == 0 {
            // Zero or subnormal: mantissa * 2^-24, exact in Float.
            let magnitude = Float(mantissa) * 0x1p-24
            return Float(bitPattern: magnitude.bitPattern | sign)
        }
        if exponent == 31 {
            return Float(bitPattern: sign | 0x7F80_0000 | (mantissa == 0 ? 0 : 0x40_0000 | mantissa << 13))
        }
        return Float(bitPattern: sign | (exponent + 112) << 23 | mantissa << 13)
    }

    // MARK: bfloat16

    /// The bfloat16 bits nearest to `value` (ties to even); NaN stays a quiet NaN.
    @inline(__always)
    public static func bf16Bits(_ value: Float) -> UInt16 {
        let x = value.bitPattern
        if value.isNaN { return UInt16(truncatingIfNeeded: x >> 16) | 0x0040 }
        // Adding 0x7FFF plus the lowest kept bit rounds half to even; a carry past the
        // largest finite value lands on infinity, as it should.
        let rounded = x &+ 0x7FFF &+ ((x >> 16) & 1)
        return UInt16(truncatingIfNeeded: rounded >> 16)
    }

    /// The Float whose value is the bfloat16 `bits`.
    @inline(__always)
    public static func float(bf16 bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    // MARK: Bulk

    /// Whether this CPU has F16C, so bulk fp16 conversions run in hardware (8 values per
    /// instruction, the same bits as the routines above).
    public static let hardware = trellis_half_hardware() != 0

    /// `values` converted to fp16 bits.
    public static func fp16(_ values: [Float]) -> [UInt16] {
        bits(values, as: .fp16)
    }

    /// `values` converted to bfloat16 bits.
    public static func bf16(_ values: [Float]) -> [UInt16] {
        bits(values, as: .bf16)
    }

    /// fp16 `bits` converted to Floats.
    public static func floats(fp16 bits: [UInt16]) -> [Float] {
        bits.withUnsafeBytes { decode($0, count: bits.count, as: .fp16) }
    }

    /// bfloat16 `bits` converted to Floats.
    public static func floats(bf16 bits: [UInt16]) -> [Float] {
        bits.withUnsafeBytes { decode($0, count: bits.count, as: .bf16) }
    }

    /// The two 16-bit formats.
    public enum Format: Sendable { case fp16, bf16 }

    /// Writes `values` as little-endian 16-bit values at `out` (2 x count bytes, any alignment):
    /// straight into a frame, with no array between.
    public static func encode(_ values: UnsafeBufferPointer<Float>, as format: Format, into out: UnsafeMutableRawPointer) {
        guard let src = values.baseAddress, !values.isEmpty else { return }
        switch format {
        case .fp16 where hardware:
            trellis_half_encode(src, out, values.count)
        case .fp16:
            for i in 0..<values.count { out.storeBytes(of: fp16Bits(src[i]).littleEndian, toByteOffset: 2 * i, as: UInt16.self) }
        case .bf16:
            for i in 0..<values.count { out.storeBytes(of: bf16Bits(src[i]).littleEndian, toByteOffset: 2 * i, as: UInt16.self) }
        }
    }

    /// `count` Floats from the little-endian 16-bit values in `bytes` (2 x count of them).
    public static func decode(_ bytes: UnsafeRawBufferPointer, count: Int, as format: Format) -> [Float] {
        precondition(bytes.count >= 2 * count, "HalfPrecision: \(bytes.count) bytes for \(count) values")
        return [Float](unsafeUninitializedCapacity: count) { out, initialised in
            defer { initialised = count }
            guard let src = bytes.baseAddress, count > 0 else { return }
            let bits = { (i: Int) in UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) }
            switch format {
            case .fp16 where hardware:
                trellis_half_decode(src, out.baseAddress!, count)
            case .fp16:
                for i in 0..<count { (out.baseAddress! + i).initialize(to: float(fp16: bits(i))) }
            case .bf16:
                for i in 0..<count { (out.baseAddress! + i).initialize(to: float(bf16: bits(i))) }
            }
        }
    }

    private static func bits(_ values: [Float], as format: Format) -> [UInt16] {
        [UInt16](unsafeUninitializedCapacity: values.count) { out, initialised in
            values.withUnsafeBufferPointer { encode($0, as: format, into: UnsafeMutableRawPointer(out.baseAddress!)) }
            initialised = values.count
        }
    }
}
