/// Sizes before and after encoding, so callers can report compression.
public struct EncodedStats: Sendable, Equatable, CustomStringConvertible {
    /// Bytes the data takes uncompressed as float32 (and Int32 ids for row blocks).
    public var rawBytes: Int
    /// Bytes actually written, headers included.
    public var encodedBytes: Int

    /// Stats for `rawBytes` encoded into `encodedBytes`.
    public init(rawBytes: Int, encodedBytes: Int) {
        self.rawBytes = rawBytes
        self.encodedBytes = encodedBytes
    }

    /// No bytes either way.
    public static let zero = EncodedStats(rawBytes: 0, encodedBytes: 0)

    /// raw / encoded: 2.0 means half the bytes went over the wire (1 when both are zero).
    public var ratio: Double {
        encodedBytes == 0 ? 1 : Double(rawBytes) / Double(encodedBytes)
    }

    /// The stats of two encodings sent together.
    public static func + (lhs: EncodedStats, rhs: EncodedStats) -> EncodedStats {
        EncodedStats(rawBytes: lhs.rawBytes + rhs.rawBytes, encodedBytes: lhs.encodedBytes + rhs.encodedBytes)
    }

    /// E.g. `4096 -> 1873 bytes (2.19x)`.
    public var description: String {
        let r = (ratio * 100).rounded() / 100
        return "\(rawBytes) -> \(encodedBytes) bytes (\(r)x)"
    }
}
