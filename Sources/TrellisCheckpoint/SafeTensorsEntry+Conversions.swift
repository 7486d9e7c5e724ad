import TrellisTensor

// Every platform Trellis runs on (x86-64, arm64) is little-endian, which is also the
// safetensors byte order: element buffers are copied as they are, without per-element swaps.
#if !_endian(little)
#error("TrellisCheckpoint assumes a little-endian host")
#endif

// MARK: - Typed constructors

extension SafeTensorsEntry {
    /// A float32 entry holding `tensor`'s shape and elements.
    public init(name: String, tensor: Tensor) {
        self.init(name: name, dtype: .float32, shape: tensor.shape, bytes: Self.rawBytes(of: tensor.data))
    }

    /// An I64 entry; `shape` defaults to one dimension of `values.count`.
    public init(name: String, int64s values: [Int64], shape: [Int]? = nil) {
        self.init(name: name, dtype: .int64, shape: shape ?? [values.count], bytes: Self.rawBytes(of: values))
    }

    /// A U64 entry; `shape` defaults to one dimension of `values.count`.
    public init(name: String, uint64s values: [UInt64], shape: [Int]? = nil) {
        self.init(name: name, dtype: .uint64, shape: shape ?? [values.count], bytes: Self.rawBytes(of: values))
    }

    /// An I32 entry; `shape` defaults to one dimension of `values.count`.
    public init(name: String, int32s values: [Int32], shape: [Int]? = nil) {
        self.init(name: name, dtype: .int32, shape: shape ?? [values.count], bytes: Self.rawBytes(of: values))
    }

    /// A U8 entry; `shape` defaults to one dimension of `values.count`.
    public init(name: String, uint8s values: [UInt8], shape: [Int]? = nil) {
        self.init(name: name, dtype: .uint8, shape: shape ?? [values.count], bytes: values)
    }
}

// MARK: - Typed accessors

extension SafeTensorsEntry {
    /// The elements as a `Tensor`; throws unless the dtype is F32.
    public func tensor() throws -> Tensor {
        try require(.float32)
        return Tensor(shape: shape, data: Self.values(from: bytes, as: Float.self))
    }

    /// The elements of an I64 entry, row-major.
    public func int64s() throws -> [Int64] {
        try require(.int64)
        return Self.values(from: bytes, as: Int64.self)
    }

    /// The elements of a U64 entry, row-major.
    public func uint64s() throws -> [UInt64] {
        try require(.uint64)
        return Self.values(from: bytes, as: UInt64.self)
    }

    /// The elements of an I32 entry, row-major.
    public func int32s() throws -> [Int32] {
        try require(.int32)
        return Self.values(from: bytes, as: Int32.self)
    }

    /// The elements of a U8 entry, row-major.
    public func uint8s() throws -> [UInt8] {
        try require(.uint8)
        return bytes
    }

    private func require(_ wanted: SafeTensorsDType) throws {
        guard dtype == wanted else {
            throw CheckpointError(kind: .typeMismatch, file: "", tensor: name,
                                  expected: "dtype \(wanted.rawValue)", found: dtype.rawValue)
        }
    }
}

// MARK: - Raw copies

extension SafeTensorsEntry {
    /// The in-memory bytes of `values` (little-endian on every supported host).
    static func rawBytes<T: BitwiseCopyable>(of values: [T]) -> [UInt8] {
        values.withUnsafeBytes { Array($0) }
    }

    /// `bytes` reinterpreted as elements of `T`; the count must be a multiple of T's size.
    /// Copied rather than cast because the source has no alignment guarantee.
    static func values<T: BitwiseCopyable>(from bytes: [UInt8], as type: T.Type) -> [T] {
        let n = bytes.count / MemoryLayout<T>.stride
        return [T](unsafeUninitializedCapacity: n) { buffer, initialised in
            bytes.withUnsafeBytes { source in
                UnsafeMutableRawBufferPointer(buffer).copyMemory(
                    from: UnsafeRawBufferPointer(rebasing: source[0..<(n * MemoryLayout<T>.stride)]))
            }
            initialised = n
        }
    }
}
