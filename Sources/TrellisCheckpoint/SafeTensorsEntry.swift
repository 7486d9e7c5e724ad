/// One named tensor of a safetensors file: element type, shape and raw little-endian bytes.
///
/// The bytes are kept raw so that every dtype shares one representation and a file
/// round-trips bit for bit; typed views live in `SafeTensorsEntry+Conversions.swift`.
public struct SafeTensorsEntry: Sendable, Equatable {
    /// The tensor's name, unique within a file (e.g. `param/item.embedding`).
    public var name: String
    /// The element type.
    public var dtype: SafeTensorsDType
    /// Extent of each dimension, outermost first; `[]` is a scalar.
    public var shape: [Int]
    /// The elements, row-major, little-endian; `bytes.count == shape.product * dtype.size`.
    public var bytes: [UInt8]

    /// An entry from raw bytes; the byte count must match shape and dtype.
    public init(name: String, dtype: SafeTensorsDType, shape: [Int], bytes: [UInt8]) {
        precondition(name != SafeTensors.metadataKey, "\(SafeTensors.metadataKey) is reserved for metadata")
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape) for \(name)")
        precondition(shape.reduce(1, *) * dtype.size == bytes.count,
                     "\(name): shape \(shape) of \(dtype.rawValue) needs \(shape.reduce(1, *) * dtype.size) bytes, got \(bytes.count)")
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.bytes = bytes
    }

    /// Number of elements.
    public var count: Int { bytes.count / dtype.size }
}
