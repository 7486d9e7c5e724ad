/// A malformed or out-of-contract message, pinned to the field that gave it away.
///
/// Every decoder in TrellisWire throws this instead of trapping, so a peer sending garbage
/// costs one logged line, never a crash. `description` names the field, what was expected
/// and what was found:
/// `frame.version: expected 1, found 7`,
/// `rows.ids[3]: row id 5000 out of range 0..<943`,
/// `payload: truncated, needed 64 bytes at offset 20, have 12`.
public struct WireError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What went wrong, coarsely; `field` and `reason` say where and how.
    public enum Kind: String, Sendable, Equatable {
        /// The input ended before a field could be read.
        case truncated
        /// A field holds a value other than the one required (magic, version, shape, flags).
        case mismatch
        /// A count, length or id lies outside what the caller allows.
        case outOfRange
        /// A checksum did not match the bytes it covers.
        case checksum
        /// Compressed or varint-coded bytes do not decode.
        case corrupt
        /// Bytes remain after the last field.
        case trailingBytes
    }

    /// The kind of problem.
    public var kind: Kind
    /// The dotted name of the field, e.g. `frame.header.count` or `rows.ids[3]`.
    public var field: String
    /// What was wrong with it, e.g. `expected 1, found 7`.
    public var reason: String

    /// An error with every part given explicitly.
    public init(kind: Kind, field: String, reason: String) {
        self.kind = kind
        self.field = field
        self.reason = reason
    }

    public var description: String { "\(field): \(reason)" }

    // MARK: Constructors for common cases

    /// `field` ended early: `needed` bytes at `offset`, only `available` left.
    public static func truncated(_ field: String, needed: Int, offset: Int, available: Int) -> WireError {
        WireError(kind: .truncated, field: field,
                  reason: "truncated, needed \(needed) bytes at offset \(offset), have \(available)")
    }

    /// `field` holds `found` where `expected` was required.
    public static func mismatch(_ field: String, expected: String, found: String) -> WireError {
        WireError(kind: .mismatch, field: field, reason: "expected \(expected), found \(found)")
    }

    /// `field` holds `found`, outside `allowed` (e.g. `0..<943`, `at most 65536 bytes`).
    public static func outOfRange(_ field: String, what: String, found: String, allowed: String) -> WireError {
        WireError(kind: .outOfRange, field: field, reason: "\(what) \(found) out of range \(allowed)")
    }

    /// `field` does not decode; `detail` says why.
    public static func corrupt(_ field: String, _ detail: String) -> WireError {
        WireError(kind: .corrupt, field: field, reason: detail)
    }
}
