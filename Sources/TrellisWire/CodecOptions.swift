/// How `TensorCodec` and `RowBlockCodec` encode values: precision, byte shuffle, LZ4.
public struct CodecOptions: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// Storage precision of each value.
    public var encoding: ValueEncoding
    /// Group byte k of every value together before compressing (helps LZ4 a lot on floats).
    public var shuffle: Bool
    /// Compress with LZ4 (the raw bytes are kept when LZ4 does not make them smaller).
    public var lz4: Bool

    /// Options with every choice explicit; the defaults give `CodecOptions.default`.
    public init(encoding: ValueEncoding = .float32, shuffle: Bool = true, lz4: Bool = true) {
        self.encoding = encoding
        self.shuffle = shuffle
        self.lz4 = lz4
    }

    /// Lossless float32, shuffled, LZ4: what gradients travel as unless configured otherwise.
    public static let `default` = CodecOptions()

    /// Every combination of encoding, shuffle and LZ4 (twelve), for tests and benchmarks.
    public static let allCombinations: [CodecOptions] = ValueEncoding.allCases.flatMap { e in
        [false, true].flatMap { s in [false, true].map { l in CodecOptions(encoding: e, shuffle: s, lz4: l) } }
    }

    /// E.g. `f16+shuffle+lz4`, or `f32` alone.
    public var description: String {
        var parts = [encoding.description]
        if shuffle { parts.append("shuffle") }
        if lz4 { parts.append("lz4") }
        return parts.joined(separator: "+")
    }
}
