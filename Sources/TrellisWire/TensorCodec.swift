/// Encodes a block of Floats compactly: reduced precision, byte shuffle, LZ4.
///
/// ```
///  size  field
///     4  element count N (UInt32)
///     1  encoding code (ValueEncoding raw value)
///     1  flags: bit 0 shuffled, bit 1 LZ4-compressed (other bits must be 0)
///     4  stored byte count S (UInt32)
///     S  payload: N values at the encoding's width, shuffled if flagged, LZ4 if flagged
/// ```
/// The LZ4 flag records what was done, not what was asked: when LZ4 does not shrink the
/// payload it is stored raw. Decoding checks N against the caller's expectation before
/// allocating, and the payload size against N.
public enum TensorCodec {
    /// What the decoder accepts as the element count.
    public enum CountLimit: Sendable, Equatable {
        /// Exactly this many values (the receiver knows the shape).
        case exactly(Int)
        /// Any count up to this many values.
        case atMost(Int)
    }

    /// Flag bit: the payload is byte-shuffled.
    public static let shuffledFlag: UInt8 = 1
    /// Flag bit: the payload is LZ4-compressed.
    public static let lz4Flag: UInt8 = 2
    /// Bytes of block header before the payload.
    public static let headerSize = 10

    // MARK: Encoding

    /// `values` encoded as one block.
    public static func encode(_ values: [Float], options: CodecOptions = .default) -> [UInt8] {
        var w = ByteWriter()
        encode(values, options: options, into: &w)
        return w.bytes
    }

    /// Appends `values` as one block to `writer`; returns raw and encoded sizes.
    @discardableResult
    public static func encode(_ values: [Float], options: CodecOptions = .default,
                              into writer: inout ByteWriter) -> EncodedStats {
        precondition(values.count <= Int(UInt32.max), "TensorCodec: \(values.count) values do not fit a block")
        let before = writer.count
        if !options.lz4 {
            // Raw values go straight into the writer: no payload array between (a shuffle
            // only serves LZ4, so without it the bytes are not shuffled).
            let size = values.count * options.encoding.byteWidth
            header(count: values.count, encoding: options.encoding, flags: 0, stored: size, into: &writer)
            writeValues(values, encoding: options.encoding, into: &writer)
            return EncodedStats(rawBytes: values.count * 4, encodedBytes: writer.count - before)
        }
        var payload = valueBytes(values, encoding: options.encoding)
        var flags: UInt8 = 0
        if options.shuffle {
            payload = ByteShuffle.shuffle(payload, elementSize: options.encoding.byteWidth)
            flags |= shuffledFlag
        }
        if options.lz4 && !payload.isEmpty {
            let compressed = LZ4.compress(payload)
            if compressed.count < payload.count {
                payload = compressed
                flags |= lz4Flag
            }
        }
        header(count: values.count, encoding: options.encoding, flags: flags, stored: payload.count, into: &writer)
        writer.raw(payload)
        return EncodedStats(rawBytes: values.count * 4, encodedBytes: writer.count - before)
    }

    /// A block's header, with room reserved for the `stored` payload bytes that follow it.
    private static func header(count: Int, encoding: ValueEncoding, flags: UInt8, stored: Int, into writer: inout ByteWriter) {
        writer.reserve(headerSize + stored)
        writer.u32(UInt32(count))
        writer.u8(encoding.rawValue)
        writer.u8(flags)
        writer.length(stored)
    }

    // MARK: Decoding

    /// Decodes a block that must hold exactly `expectedCount` values and nothing else.
    public static func decode(_ bytes: [UInt8], expectedCount: Int) throws -> [Float] {
        var r = ByteReader(bytes)
        let values = try decode(from: &r, count: .exactly(expectedCount))
        try r.expectEnd("tensor")
        return values
    }

    /// Decodes a block of at most `maxCount` values that fills `bytes`.
    public static func decode(_ bytes: [UInt8], maxCount: Int) throws -> [Float] {
        var r = ByteReader(bytes)
        let values = try decode(from: &r, count: .atMost(maxCount))
        try r.expectEnd("tensor")
        return values
    }

    /// Reads one block from `reader`; `field` prefixes the names in errors.
    public static func decode(from reader: inout ByteReader, field: String = "tensor",
                              count limit: CountLimit) throws -> [Float] {
        let count = Int(try reader.u32(field + ".count"))
        switch limit {
        case .exactly(let expected) where count != expected:
            throw WireError.mismatch(field + ".count", expected: "\(expected)", found: "\(count)")
        case .atMost(let maximum) where count > maximum:
            throw WireError.outOfRange(field + ".count", what: "count", found: "\(count)", allowed: "0...\(maximum)")
        default: break
        }
        let code = try reader.u8(field + ".encoding")
        guard let encoding = ValueEncoding(rawValue: code) else {
            throw WireError.mismatch(field + ".encoding", expected: "0 (f32), 1 (f16) or 2 (bf16)", found: "\(code)")
        }
        let flags = try reader.u8(field + ".flags")
        guard flags & ~(shuffledFlag | lz4Flag) == 0 else {
            throw WireError.mismatch(field + ".flags", expected: "only bits 0 and 1", found: "0x\(String(flags, radix: 16))")
        }
        let stored = Int(try reader.u32(field + ".storedBytes"))
        // count < 2^32 and width <= 4, so this cannot overflow.
        let rawSize = count * encoding.byteWidth
        // The payload, then the floats made from it.
        try reader.spend(field + ".payload", bytes: rawSize + count * 4)
        var payload: [UInt8]
        if flags & lz4Flag != 0 {
            let compressed = try reader.bytes(field + ".payload", count: stored)
            payload = try LZ4.decompress(compressed, originalSize: rawSize, maxSize: rawSize, field: field + ".payload")
        } else {
            guard stored == rawSize else {
                throw WireError.mismatch(field + ".storedBytes", expected: "\(rawSize) (\(count) x \(encoding.byteWidth) bytes)",
                                         found: "\(stored)")
            }
            guard flags & shuffledFlag != 0 else {
                // Neither compressed nor shuffled: the values are read where they lie.
                return try reader.withBytes(field + ".payload", count: stored) { floats($0, count: count, encoding: encoding) }
            }
            payload = try reader.bytes(field + ".payload", count: stored)
        }
        if flags & shuffledFlag != 0 {
            payload = ByteShuffle.unshuffle(payload, elementSize: encoding.byteWidth)
        }
        return payload.withUnsafeBytes { floats($0, count: count, encoding: encoding) }
    }

    // MARK: Value conversion

    /// The little-endian bytes of `values` at `encoding`'s width.
    static func valueBytes(_ values: [Float], encoding: ValueEncoding) -> [UInt8] {
        var w = ByteWriter(capacity: values.count * encoding.byteWidth)
        writeValues(values, encoding: encoding, into: &w)
        return w.bytes
    }

    /// Appends the little-endian bytes of `values` at `encoding`'s width to `writer`.
    static func writeValues(_ values: [Float], encoding: ValueEncoding, into writer: inout ByteWriter) {
        switch encoding {
        case .float32:
            writer.floats(values)
        case .float16, .bfloat16:
            let format: HalfPrecision.Format = encoding == .float16 ? .fp16 : .bf16
            writer.append(count: values.count * 2) { out in
                values.withUnsafeBufferPointer { HalfPrecision.encode($0, as: format, into: out.baseAddress!) }
            }
        }
    }

    /// `count` values decoded from `bytes`, whose size the caller has already checked.
    static func floats(_ bytes: UnsafeRawBufferPointer, count: Int, encoding: ValueEncoding) -> [Float] {
        precondition(bytes.count == count * encoding.byteWidth, "TensorCodec: payload size unchecked")
        switch encoding {
        case .float32:
            return [Float](unsafeUninitializedCapacity: count) { out, initialised in
                #if _endian(little)
                UnsafeMutableRawBufferPointer(out).copyMemory(from: bytes)
                #else
                for i in 0..<count {
                    (out.baseAddress! + i).initialize(to: Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self))))
                }
                #endif
                initialised = count
            }
        case .float16:
            return HalfPrecision.decode(bytes, count: count, as: .fp16)
        case .bfloat16:
            return HalfPrecision.decode(bytes, count: count, as: .bf16)
        }
    }
}
