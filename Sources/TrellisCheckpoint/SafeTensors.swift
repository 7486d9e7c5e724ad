/// Writer and reader for the safetensors file format.
///
/// Layout (https://huggingface.co/docs/safetensors): an 8-byte little-endian header length
/// `N`, then `N` bytes of JSON mapping each tensor name to `{dtype, shape, data_offsets}`
/// (offsets relative to the data buffer that follows) plus an optional `__metadata__`
/// string map, then the tensors' bytes back to back. The files load in Python's
/// `safetensors` and, with a few lines of `json` + `numpy.frombuffer`, anywhere.
public enum SafeTensors {
    /// The reserved header key holding the string-to-string metadata map.
    public static let metadataKey = "__metadata__"
    /// Headers longer than this are rejected before being read: a corrupted length prefix
    /// must not make the reader allocate or parse gigabytes. Same limit as the reference reader.
    public static let maxHeaderBytes = 100_000_000

    // MARK: Encoding

    /// The file bytes for `entries` (data laid out in the given order) and `metadata`.
    ///
    /// Deterministic: header keys are sorted, so the same entries and metadata always give
    /// byte-identical output. Names must be unique.
    public static func encode(entries: [SafeTensorsEntry], metadata: [String: String] = [:]) -> [UInt8] {
        var offsets: [String: (Int, Int)] = [:]
        var dataSize = 0
        for entry in entries {
            precondition(offsets[entry.name] == nil, "duplicate tensor name \(entry.name)")
            offsets[entry.name] = (dataSize, dataSize + entry.bytes.count)
            dataSize += entry.bytes.count
        }

        var json = "{"
        var fields: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0]!))" }
            fields.append("\(jsonString(metadataKey)):{\(pairs.joined(separator: ","))}")
        }
        for entry in entries.sorted(by: { $0.name < $1.name }) {
            let (begin, end) = offsets[entry.name]!
            let shape = entry.shape.map(String.init).joined(separator: ",")
            fields.append("\(jsonString(entry.name)):{\"dtype\":\"\(entry.dtype.rawValue)\","
                          + "\"shape\":[\(shape)],\"data_offsets\":[\(begin),\(end)]}")
        }
        json += fields.joined(separator: ",") + "}"

        // Spaces pad the header so the data buffer starts 8-byte aligned, as the reference
        // writer does; readers may then view the tensors without copying.
        var header = Array(json.utf8)
        header.append(contentsOf: [UInt8](repeating: 0x20, count: (8 - header.count % 8) % 8))

        var out: [UInt8] = []
        out.reserveCapacity(8 + header.count + dataSize)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: header)
        for entry in entries { out.append(contentsOf: entry.bytes) }
        return out
    }

    /// `text` as a JSON string literal: quotes, backslashes and control characters escaped,
    /// everything else (including non-ASCII) kept as UTF-8.
    static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
