import Foundation

// MARK: - Decoding

extension SafeTensors {
    /// Parses and validates a safetensors file, returning its entries in data order (the
    /// order they were written) and its metadata.
    ///
    /// Every declared quantity is checked against the bytes before anything is copied: the
    /// header length against the file size and `maxHeaderBytes`, the JSON structure, each
    /// dtype, `shape` against `data_offsets`, and that the tensors tile the data buffer
    /// exactly (no gaps, no overlaps, no trailing bytes). Any failure throws a
    /// `CheckpointError` naming `file` and the tensor; no input traps.
    public static func decode(_ bytes: [UInt8], file: String) throws
        -> (entries: [SafeTensorsEntry], metadata: [String: String]) {
        guard bytes.count >= 8 else {
            throw CheckpointError(kind: .truncated, file: file, expected: "an 8-byte header length",
                                  found: "a file of \(bytes.count) bytes")
        }
        var length: UInt64 = 0
        for i in 0..<8 { length |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        guard length <= UInt64(maxHeaderBytes) else {
            throw CheckpointError(kind: .invalidHeader, file: file,
                                  expected: "a header length of at most \(maxHeaderBytes) bytes", found: "\(length)")
        }
        let headerEnd = 8 + Int(length)
        guard headerEnd <= bytes.count else {
            throw CheckpointError(kind: .truncated, file: file, expected: "a header of \(length) bytes",
                                  found: "\(bytes.count - 8) bytes after the length prefix")
        }

        let header = try parseHeader(bytes[8..<headerEnd], file: file)
        let bufferSize = bytes.count - headerEnd
        for (name, info) in header.tensors {
            try validate(info, name: name, bufferSize: bufferSize, file: file)
        }

        // Sorted by offset, the tensors must tile the buffer: each begins where the last ended.
        let ordered = header.tensors.sorted { ($0.1.begin, $0.1.end, $0.0) < ($1.1.begin, $1.1.end, $1.0) }
        var expectedBegin = 0
        var previous = ""
        var entries: [SafeTensorsEntry] = []
        entries.reserveCapacity(ordered.count)
        for (name, info) in ordered {
            guard info.begin == expectedBegin else {
                let why = info.begin < expectedBegin
                    ? "\(info.begin) (overlapping \"\(previous)\", which ends at \(expectedBegin))"
                    : "\(info.begin) (a gap of \(info.begin - expectedBegin) bytes)"
                throw CheckpointError(kind: .invalidTensor, file: file, tensor: name,
                                      expected: "data to begin at offset \(expectedBegin)", found: why)
            }
            let range = (headerEnd + info.begin)..<(headerEnd + info.end)
            entries.append(SafeTensorsEntry(name: name, dtype: info.dtype, shape: info.shape,
                                            bytes: Array(bytes[range])))
            expectedBegin = info.end
            previous = name
        }
        guard expectedBegin == bufferSize else {
            throw CheckpointError(kind: .invalidTensor, file: file,
                                  expected: "tensors covering the \(bufferSize)-byte data buffer",
                                  found: "\(expectedBegin) bytes covered")
        }
        return (entries, header.metadata)
    }

    // MARK: Header

    /// One tensor's header record once its dtype is known.
    private struct TensorInfo {
        var dtype: SafeTensorsDType
        var shape: [Int]
        var begin: Int
        var end: Int
    }

    private struct Header {
        var tensors: [(String, TensorInfo)] = []
        var metadata: [String: String] = [:]
    }

    /// The JSON shape of one tensor record; Codable gives strict integer typing for free.
    private struct RawTensorInfo: Decodable {
        var dtype: String
        var shape: [Int]
        var data_offsets: [Int]
    }

    /// Top-level object with arbitrary keys; each value is decoded on its own so a
    /// failure can name the tensor it belongs to.
    private struct RawHeader: Decodable {
        var tensors: [(String, RawTensorInfo)] = []
        var metadata: [String: String] = [:]
        var failure: (key: String, message: String)?

        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: Key.self)
            for key in container.allKeys {
                do {
                    if key.stringValue == SafeTensors.metadataKey {
                        metadata = try container.decode([String: String].self, forKey: key)
                    } else {
                        tensors.append((key.stringValue, try container.decode(RawTensorInfo.self, forKey: key)))
                    }
                } catch {
                    // Kept rather than thrown: errors thrown through JSONDecoder lose their key.
                    failure = (key.stringValue, SafeTensors.summary(of: error))
                    return
                }
            }
        }
    }

    private static func parseHeader(_ bytes: ArraySlice<UInt8>, file: String) throws -> Header {
        guard bytes.first == UInt8(ascii: "{") else {
            throw CheckpointError(kind: .invalidHeader, file: file, expected: "a JSON object starting with '{'",
                                  found: bytes.first.map { "byte 0x" + String($0, radix: 16) } ?? "an empty header")
        }
        let raw: RawHeader
        do {
            raw = try JSONDecoder().decode(RawHeader.self, from: Data(bytes))
        } catch {
            throw CheckpointError(kind: .invalidHeader, file: file, expected: "a well-formed JSON header",
                                  found: summary(of: error))
        }
        if let failure = raw.failure {
            let isMetadata = failure.key == metadataKey
            throw CheckpointError(kind: .invalidHeader, file: file, tensor: isMetadata ? "" : failure.key,
                                  expected: isMetadata ? "__metadata__ as a map of strings to strings"
                                                       : "{\"dtype\": string, \"shape\": [int], \"data_offsets\": [int, int]}",
                                  found: failure.message)
        }
        var header = Header(metadata: raw.metadata)
        for (name, info) in raw.tensors {
            guard let dtype = SafeTensorsDType(rawValue: info.dtype) else {
                let known = SafeTensorsDType.allCases.map(\.rawValue).joined(separator: ", ")
                throw CheckpointError(kind: .invalidTensor, file: file, tensor: name,
                                      expected: "a dtype among \(known)", found: "\"\(info.dtype)\"")
            }
            guard info.data_offsets.count == 2 else {
                throw CheckpointError(kind: .invalidTensor, file: file, tensor: name,
                                      expected: "data_offsets [begin, end]", found: "\(info.data_offsets)")
            }
            header.tensors.append((name, TensorInfo(dtype: dtype, shape: info.shape,
                                                    begin: info.data_offsets[0], end: info.data_offsets[1])))
        }
        return header
    }

    /// Checks one record against itself and the buffer size; overflow-safe, since the
    /// numbers come from an untrusted file.
    private static func validate(_ info: TensorInfo, name: String, bufferSize: Int, file: String) throws {
        guard info.shape.allSatisfy({ $0 >= 0 }) else {
            throw CheckpointError(kind: .invalidTensor, file: file, tensor: name,
                                  expected: "non-negative dimensions", found: "shape \(info.shape)")
        }
        guard info.begin >= 0, info.begin <= info.end, info.end <= bufferSize else {
            throw CheckpointError(kind: .invalidTensor, file: file, tensor: name,
                                  expected: "0 <= begin <= end <= \(bufferSize) (the data buffer size)",
                                  found: "data_offsets [\(info.begin), \(info.end)]")
        }
        var bytes = info.dtype.size
        for dim in info.shape {
            let (product, overflow) = bytes.multipliedReportingOverflow(by: dim)
            guard !overflow else {
                throw CheckpointError(kind: .invalidTensor, file: file, tensor: name,
                                      expected: "a shape whose size fits in memory", found: "shape \(info.shape)")
            }
            bytes = product
        }
        guard bytes == info.end - info.begin else {
            throw CheckpointError(kind: .invalidTensor, file: file, tensor: name,
                                  expected: "\(bytes) bytes for shape \(info.shape) of \(info.dtype.rawValue)",
                                  found: "data_offsets [\(info.begin), \(info.end)] spanning \(info.end - info.begin) bytes")
        }
    }

    /// A one-line account of a decoding error, without Foundation's nested debug dumps.
    static func summary(of error: Error) -> String {
        guard let decoding = error as? DecodingError else { return "\(error)" }
        switch decoding {
        case .typeMismatch(_, let context), .valueNotFound(_, let context),
             .keyNotFound(_, let context), .dataCorrupted(let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? context.debugDescription : "\(path): \(context.debugDescription)"
        @unknown default:
            return "\(decoding)"
        }
    }
}
