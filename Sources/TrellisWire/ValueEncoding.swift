/// How each Float of a tensor block is stored on the wire.
public enum ValueEncoding: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// IEEE single precision, lossless.
    case float32 = 0
    /// IEEE half precision: about 3 decimal digits, magnitudes 6e-8 ... 65504.
    case float16 = 1
    /// bfloat16: Float's range with 8 significant bits; the safer choice for gradients.
    case bfloat16 = 2

    /// Bytes per stored value.
    public var byteWidth: Int { self == .float32 ? 4 : 2 }

    /// True when decoding gives back exactly the values encoded.
    public var isLossless: Bool { self == .float32 }

    /// Short name for tables and logs: `f32`, `f16`, `bf16`.
    public var description: String {
        switch self {
        case .float32: return "f32"
        case .float16: return "f16"
        case .bfloat16: return "bf16"
        }
    }
}

extension ValueEncoding {
    /// `values` as this encoding stores them (rounded to nearest, ties to even): encoding
    /// the result again is lossless.
    public func rounded(_ values: [Float]) -> [Float] {
        switch self {
        case .float32: return values
        case .float16: return HalfPrecision.floats(fp16: HalfPrecision.fp16(values))
        case .bfloat16: return HalfPrecision.floats(bf16: HalfPrecision.bf16(values))
        }
    }
}
