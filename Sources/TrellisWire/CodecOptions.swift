/// How `TensorCodec` and `RowBlockCodec` encode values: precision, byte shuffle, LZ4.
public struct CodecOptions: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// Storage precision of each value.
    public var encoding: ValueEncoding
    /// Group byte k of every value together before compressing (helps LZ4 a lot on floats);
    /// without `lz4` it has no effect (a shuffle alone would cost a pass each way for nothing).
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

    /// Every distinct combination of encoding, shuffle and LZ4 (nine: a shuffle only with LZ4),
    /// for tests and benchmarks.
    public static let allCombinations: [CodecOptions] = ValueEncoding.allCases.flatMap { e in
        [CodecOptions(encoding: e, shuffle: false, lz4: false), CodecOptions(encoding: e, shuffle: false, lz4: true),
         CodecOptions(encoding: e, shuffle: true, lz4: true)]
    }

    /// E.g. `f16+shuffle+lz4`, or `f32` alone.
    public var description: String {
        var parts = [encoding.description]
        if shuffle && lz4 { parts.append("shuffle") }
        if lz4 { parts.append("lz4") }
        return parts.joined(separator: "+")
    }
}
