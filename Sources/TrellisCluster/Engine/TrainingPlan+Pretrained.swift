import Foundation
import TrellisCheckpoint
import TrellisData
import TrellisGraph
import TrellisTraining

extension TrainingPlan {
    /// The rows of a node type's embedding table that `model.pretrained` sets: row ids and
    /// their values ((rows.count, d) row-major), with what the file held beyond them.
    public struct PretrainedRows: Sendable, Equatable {
        public var nodeType: Int
        public var path: String
        public var rows: [Int32]
        public var values: [Float]
        /// Rows of the file whose id the data does not have (left unused).
        public var unknown: Int
    }

    /// `model.pretrained`, in node-type order: each matrix read (`.npy` or a tensor of a
    /// `.safetensors` file), its width checked against `model.embedding_size`, its rows matched
    /// to the data's ids through the `ids` file (line k names row k). Every value must be finite.
    static func pretrained(_ config: TrainingConfig, dataset: PreparedDataset) throws -> [PretrainedRows] {
        let types = GraphTopology.userItemNodeTypes
        for type in config.model.pretrained.keys.sorted() where !types.contains(type) {
            throw ConfigError(file: "<config>", key: "model.pretrained.\(type)", message: "unknown node type; expected one of \(types)")
        }
        let idMaps = [dataset.split.train.userIDs, dataset.split.train.itemIDs]
        return try types.enumerated().compactMap { t, type -> PretrainedRows? in
            guard let source = config.model.pretrained[type] else { return nil }
            let matrix = try Self.matrix(source, type: type)
            let d = config.model.embeddingSize
            guard matrix.columns == d else {
                throw ConfigError(file: "<config>", key: "model.pretrained.\(type)",
                                  message: "\(source.path) has rows of \(matrix.columns) values; model.embedding_size is \(d)")
            }
            if let bad = matrix.values.firstIndex(where: { !$0.isFinite }) {
                throw DataError(kind: .invalidValue, file: source.path, line: 0, field: "row \(bad / d)", expected: "finite values",
                                found: "\(matrix.values[bad])")
            }
            guard let text = FileManager.default.contents(atPath: source.ids) else {
                throw DataError(kind: .missingFile, file: source.ids, line: 0, expected: "one raw \(type) id a line", found: "no readable file")
            }
            let ids = String(decoding: text, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            let named = ids.last == "" ? Array(ids.dropLast()) : ids
            guard named.count == matrix.rows else {
                throw DataError(kind: .wrongFieldCount, file: source.ids, line: 0, expected: "\(matrix.rows) ids (one per row of \(source.path))",
                                found: "\(named.count) lines")
            }
            var out = PretrainedRows(nodeType: t, path: source.path, rows: [], values: [], unknown: 0)
            var seen = Set<Int32>()
            for (k, raw) in named.enumerated() {
                guard let row = idMaps[t].id(of: raw) else { out.unknown += 1; continue }
                guard seen.insert(row).inserted else {
                    throw DataError(kind: .invalidValue, file: source.ids, line: k + 1, expected: "each id once", found: "\(raw) again")
                }
                out.rows.append(row)
                out.values.append(contentsOf: matrix.values[(k * d)..<((k + 1) * d)])
            }
            return out
        }
    }

    /// The float matrix of `source`.
    private static func matrix(_ source: PretrainedSource, type: String) throws -> (rows: Int, columns: Int, values: [Float]) {
        guard let data = FileManager.default.contents(atPath: source.path) else {
            throw DataError(kind: .missingFile, file: source.path, line: 0, expected: "a .npy or .safetensors matrix", found: "no readable file")
        }
        let bytes = [UInt8](data)
        guard source.path.hasSuffix(".safetensors") else { return try NPY.floatMatrix(bytes, file: source.path) }
        let name = source.tensor ?? "\(type).embedding"
        let entries = try SafeTensors.decode(bytes, file: source.path).entries
        guard let entry = entries.first(where: { $0.name == name }) else {
            throw CheckpointError(kind: .invalidTensor, file: source.path, tensor: name, expected: "this tensor",
                                  found: "only \(entries.map(\.name).sorted())")
        }
        guard entry.shape.count == 2 else {
            throw CheckpointError(kind: .invalidTensor, file: source.path, tensor: name, expected: "2 dimensions", found: "shape \(entry.shape)")
        }
        return (entry.shape[0], entry.shape[1], try entry.tensor().data)
    }
}
