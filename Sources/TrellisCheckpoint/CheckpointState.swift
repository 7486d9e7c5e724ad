import TrellisTensor

/// Everything a trainer needs to resume, as named values: float tensors (parameters,
/// optimizer moments), 64-bit word arrays (step counts, RNG state, data cursors) and
/// string metadata.
///
/// The names are the caller's business (e.g. `param/item.embedding`, `adam.m/item.embedding`,
/// `rng/worker.0`, `cursor/partition.3`); this type only guarantees that what is saved is
/// what comes back, bit for bit.
public struct CheckpointState: Sendable, Equatable {
    /// Float tensors, stored as F32.
    public var tensors: [String: Tensor]
    /// Unsigned 64-bit word arrays, stored as one-dimensional U64.
    public var words: [String: [UInt64]]
    /// Free-form strings, stored in the safetensors `__metadata__` map.
    public var metadata: [String: String]

    /// A state holding the given values (all empty by default).
    public init(tensors: [String: Tensor] = [:], words: [String: [UInt64]] = [:],
                metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.words = words
        self.metadata = metadata
    }
}

// MARK: - Conversion to and from entries

extension CheckpointState {
    /// One entry per tensor and word array, sorted by name so equal states encode equally.
    /// Throws if a name is used both as a tensor and as a word array, or is reserved.
    public func entries() throws -> [SafeTensorsEntry] {
        for name in tensors.keys where words[name] != nil {
            throw CheckpointError(kind: .invalidState, file: "", tensor: name,
                                  expected: "a name used by one value", found: "both a tensor and a word array")
        }
        for name in Array(tensors.keys) + Array(words.keys) where name == SafeTensors.metadataKey {
            throw CheckpointError(kind: .invalidState, file: "", tensor: name,
                                  expected: "a tensor name", found: "the reserved metadata key")
        }
        var entries = tensors.map { SafeTensorsEntry(name: $0.key, tensor: $0.value) }
        entries += words.map { SafeTensorsEntry(name: $0.key, uint64s: $0.value) }
        return entries.sorted { $0.name < $1.name }
    }

    /// The state stored in `entries` and `metadata`: F32 entries become tensors, U64
    /// entries word arrays (flattened); any other dtype throws, naming the entry.
    public init(entries: [SafeTensorsEntry], metadata: [String: String] = [:]) throws {
        self.init(metadata: metadata)
        for entry in entries {
            switch entry.dtype {
            case .float32: tensors[entry.name] = try entry.tensor()
            case .uint64: words[entry.name] = try entry.uint64s()
            default:
                throw CheckpointError(kind: .typeMismatch, file: "", tensor: entry.name,
                                      expected: "dtype F32 or U64 for a CheckpointState", found: entry.dtype.rawValue)
            }
        }
    }

    /// The state as safetensors file bytes (deterministic).
    public func encoded() throws -> [UInt8] {
        SafeTensors.encode(entries: try entries(), metadata: metadata)
    }

    /// The state stored in safetensors `bytes`; `file` names the source in errors.
    public init(decoding bytes: [UInt8], file: String) throws {
        let (entries, metadata) = try SafeTensors.decode(bytes, file: file)
        do {
            try self.init(entries: entries, metadata: metadata)
        } catch var error as CheckpointError {
            error.file = file
            throw error
        }
    }
}
