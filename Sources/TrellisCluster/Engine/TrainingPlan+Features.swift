import TrellisData
import TrellisGraph
import TrellisTraining
import TrellisWire

extension TrainingPlan {
    /// A node type's frozen feature table as loaded: its schema entry, its rows rounded to
    /// the table's precision, and that precision.
    struct LoadedFeatures {
        var schema: GraphSchema.FeatureTable
        var values: [Float]
        var encoding: ValueEncoding
    }

    /// `data.features`, in node-type order: each atomic file keyed by `<type>_id` through the
    /// interactions' id map, its columns as a `FeatureMatrix`. Only the `user` and `item` types
    /// have ids from the data; another name is a config error.
    static func features(_ config: TrainingConfig, dataset: PreparedDataset) throws -> [LoadedFeatures] {
        let types = GraphTopology.userItemNodeTypes
        for type in config.data.features.keys.sorted() where !types.contains(type) {
            throw ConfigError(file: "<config>", key: "data.features.\(type)", message: "unknown node type; expected one of \(types)")
        }
        let idMaps = [dataset.split.train.userIDs, dataset.split.train.itemIDs]
        let counts = [dataset.userCount, dataset.itemCount]
        return try types.enumerated().compactMap { t, type -> LoadedFeatures? in
            guard let source = config.data.features[type] else { return nil }
            let table = try FeatureTable.load(path: source.path, keyField: "\(type)_id", keyIDs: idMaps[t])
            let matrix = try table.matrix(columns: source.columns, nodes: counts[t], file: source.path)
            let encoding = ValueEncoding(source.dtype)
            let values = encoding.rounded(matrix.values)
            if let bad = values.firstIndex(where: { !$0.isFinite }) {
                throw DataError(kind: .invalidValue, file: source.path, line: 0, field: source.columns.joined(separator: ","),
                                expected: "finite values in \(source.dtype.rawValue)",
                                found: "\(matrix.values[bad]) for \(type) \(bad / matrix.width)")
            }
            return LoadedFeatures(schema: GraphSchema.FeatureTable(name: "\(type).features", nodeType: t, width: matrix.width),
                                  values: values, encoding: encoding)
        }
    }
}
