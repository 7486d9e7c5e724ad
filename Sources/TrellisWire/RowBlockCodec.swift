/// Encodes sparse embedding rows (ids plus a row of values each) compactly.
///
/// ```
///  size  field
///     4  row count R (UInt32)
///     4  dimension D (UInt32)
///     1  id flags: bit 0 unordered (zigzag deltas), bit 1 LZ4 (other bits must be 0)
///     4  id varint byte count V, before LZ4 (UInt32)
///     4  id stored byte count S (UInt32)
///     S  ids: ascending -> first id, then gaps, as unsigned LEB128 varints;
///             otherwise -> zigzag varint deltas from the previous id (starting at 0);
///             then LZ4 if flagged
///   ...  values: one TensorCodec block of R x D Floats, row-major
/// ```
/// Coalesced gradients have ascending ids, so gaps are small and mostly one byte. Decoding
/// checks every id against the caller's row count and the shape against its dimension.
public enum RowBlockCodec {
    /// Decoded rows: `rowIDs.count` rows of `dimension` values.
    public struct Block: Sendable, Equatable {
        /// Row width.
        public var dimension: Int
        /// One id per row, each in the `rowLimit` the decoder was given.
        public var rowIDs: [Int32]
        /// (rowIDs.count, dimension), row-major.
        public var values: [Float]

        /// Rows from explicit parts; `values.count` must be `rowIDs.count * dimension`.
        public init(dimension: Int, rowIDs: [Int32], values: [Float]) {
            precondition(values.count == rowIDs.count * dimension, "RowBlockCodec.Block: \(values.count) values for \(rowIDs.count) rows of \(dimension)")
            self.dimension = dimension
            self.rowIDs = rowIDs
            self.values = values
        }
    }

    /// Id flag bit: ids are zigzag deltas, not ascending gaps.
    public static let unorderedFlag: UInt8 = 1
    /// Id flag bit: the id varints are LZ4-compressed.
    public static let lz4Flag: UInt8 = 2

    // MARK: Encoding

    /// `rowIDs` and their `values` (rowIDs.count x dimension) as one block.
    public static func encode(rowIDs: [Int32], values: [Float], dimension: Int,
                              options: CodecOptions = .default) -> [UInt8] {
        var w = ByteWriter()
        encode(rowIDs: rowIDs, values: values, dimension: dimension, options: options, into: &w)
        return w.bytes
    }

    /// Appends one block to `writer`; returns raw (Int32 ids + float32 values) and encoded sizes.
    @discardableResult
    public static func encode(rowIDs: [Int32], values: [Float], dimension: Int,
                              options: CodecOptions = .default, into writer: inout ByteWriter) -> EncodedStats {
        precondition(dimension >= 0 && dimension <= Int(UInt32.max), "RowBlockCodec: bad dimension \(dimension)")
        precondition(values.count == rowIDs.count * dimension,
                     "RowBlockCodec: \(values.count) values for \(rowIDs.count) rows of \(dimension)")
        let before = writer.count
        var idFlags: UInt8 = 0
        var ids = ByteWriter(capacity: rowIDs.count * 2)
        if isAscending(rowIDs) {
            var previous: Int32 = 0
            for id in rowIDs {
                ids.varuint(UInt64(id - previous))
                previous = id
            }
        } else {
            idFlags |= unorderedFlag
            var previous: Int64 = 0
            for id in rowIDs {
                ids.varint(Int64(id) - previous)
                previous = Int64(id)
            }
        }
        var stored = ids.bytes
        if options.lz4 && !stored.isEmpty {
            let compressed = LZ4.compress(stored)
            if compressed.count < stored.count {
                stored = compressed
                idFlags |= lz4Flag
            }
        }
        writer.length(rowIDs.count)
        writer.length(dimension)
        writer.u8(idFlags)
        writer.length(ids.count)
        writer.length(stored.count)
        writer.raw(stored)
        TensorCodec.encode(values, options: options, into: &writer)
        return EncodedStats(rawBytes: rowIDs.count * 4 + values.count * 4, encodedBytes: writer.count - before)
    }

    // MARK: Decoding

    /// Decodes a block that fills `bytes`: rows of exactly `dimension`, every id in
    /// `0..<rowLimit`, at most `maxRows` rows (default `rowLimit`; ids may repeat before
    /// coalescing, so pass more if the sender does not coalesce).
    public static func decode(_ bytes: [UInt8], dimension: Int, rowLimit: Int,
                              maxRows: Int? = nil) throws -> Block {
        var r = ByteReader(bytes)
        let block = try decode(from: &r, dimension: dimension, rowLimit: rowLimit, maxRows: maxRows)
        try r.expectEnd("rows")
        return block
    }

    /// Reads one block from `reader`; `field` prefixes the names in errors.
    public static func decode(from reader: inout ByteReader, field: String = "rows", dimension: Int,
                              rowLimit: Int, maxRows: Int? = nil) throws -> Block {
        let rowCount = try reader.count(field + ".count", max: maxRows ?? rowLimit)
        let storedDimension = Int(try reader.u32(field + ".dimension"))
        guard storedDimension == dimension else {
            throw WireError.mismatch(field + ".dimension", expected: "\(dimension)", found: "\(storedDimension)")
        }
        let flags = try reader.u8(field + ".idFlags")
        guard flags & ~(unorderedFlag | lz4Flag) == 0 else {
            throw WireError.mismatch(field + ".idFlags", expected: "only bits 0 and 1", found: "0x\(String(flags, radix: 16))")
        }
        // A varint for a 33-bit zigzag delta never needs more than 5 bytes.
        let varintBytes = try reader.count(field + ".idBytes", max: rowCount * 5)
        let storedBytes = Int(try reader.u32(field + ".idStoredBytes"))
        let idBytes: [UInt8]
        try reader.spend(field + ".ids", bytes: varintBytes + rowCount * 4)
        if flags & lz4Flag != 0 {
            let compressed = try reader.bytes(field + ".ids", count: storedBytes)
            idBytes = try LZ4.decompress(compressed, originalSize: varintBytes, maxSize: rowCount * 5, field: field + ".ids")
        } else {
            guard storedBytes == varintBytes else {
                throw WireError.mismatch(field + ".idStoredBytes", expected: "\(varintBytes) (uncompressed)", found: "\(storedBytes)")
            }
            idBytes = try reader.bytes(field + ".ids", count: storedBytes)
        }
        let rowIDs = try decodeIDs(idBytes, count: rowCount, unordered: flags & unorderedFlag != 0,
                                   rowLimit: rowLimit, field: field + ".ids")
        let (valueCount, overflow) = rowCount.multipliedReportingOverflow(by: dimension)
        guard !overflow else {
            throw WireError.outOfRange(field + ".values", what: "value count", found: "\(rowCount) x \(dimension)", allowed: "Int")
        }
        let values = try TensorCodec.decode(from: &reader, field: field + ".values", count: .exactly(valueCount))
        return Block(dimension: dimension, rowIDs: rowIDs, values: values)
    }

    // MARK: Internals

    private static func isAscending(_ ids: [Int32]) -> Bool {
        var previous: Int32 = 0
        for id in ids {
            if id < previous { return false }
            previous = id
        }
        return true
    }

    /// `count` ids from their varints, each checked against `0..<rowLimit` as it appears.
    private static func decodeIDs(_ bytes: [UInt8], count: Int, unordered: Bool,
                                  rowLimit: Int, field: String) throws -> [Int32] {
        var r = ByteReader(bytes)
        var ids = [Int32]()
        ids.reserveCapacity(count)
        var previous: Int64 = 0
        let limit = Int64(min(rowLimit, Int(Int32.max) + 1))
        for i in 0..<count {
            // The field's name is built only for an error: this loop runs for every row of a step.
            let id: Int64
            do {
                if unordered {
                    let (sum, overflow) = previous.addingReportingOverflow(try r.varint(field))
                    id = overflow ? Int64.min : sum
                } else {
                    let gap = try r.varuint(field)
                    id = gap > UInt64(Int64.max / 2) ? Int64.max : previous + Int64(gap)
                }
            } catch var error as WireError {
                error.field = "\(field)[\(i)]"
                throw error
            }
            guard id >= 0 && id < limit else {
                throw WireError.outOfRange("\(field)[\(i)]", what: "row id", found: id == .min || id == .max ? "beyond Int64" : "\(id)",
                                           allowed: "0..<\(rowLimit)")
            }
            ids.append(Int32(id))
            previous = id
        }
        try r.expectEnd(field)
        return ids
    }
}
