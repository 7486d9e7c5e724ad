/// The element types this checkpoint format reads and writes, spelled as in safetensors.
///
/// A subset of what safetensors defines: float32 for parameters and optimizer moments, and
/// integers for step counts, RNG state words and data cursors. Anything else in a file is
/// rejected by name rather than skipped, so a checkpoint never loads partially.
public enum SafeTensorsDType: String, Sendable, Equatable, CaseIterable {
    /// IEEE-754 binary32, little-endian (`Tensor` data).
    case float32 = "F32"
    /// Signed 64-bit integers, little-endian.
    case int64 = "I64"
    /// Unsigned 64-bit integers, little-endian (RNG words, counters).
    case uint64 = "U64"
    /// Signed 32-bit integers, little-endian.
    case int32 = "I32"
    /// Unsigned bytes.
    case uint8 = "U8"

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .float32, .int32: return 4
        case .int64, .uint64: return 8
        case .uint8: return 1
        }
    }
}
