/// Chosen columns of a feature table as one dense row per node: what a frozen feature table
/// holds. Each column becomes a block of the row:
///
///     float      1 value (an empty cell, NaN, is 0)
///     float_seq  the longest row's length, shorter rows padded with 0 (text embeddings)
///     token      one-hot over the column's vocabulary
///     token_seq  multi-hot over the vocabulary, each token 1 / (tokens in the row)
///
/// Nodes without a row in the file get a row of zeros.
public struct FeatureMatrix: Sendable, Equatable {
    /// Values per node.
    public let width: Int
    /// (nodes, width), row-major.
    public let values: [Float]
    /// Each column's name and width, in row order.
    public let blocks: [(name: String, width: Int)]

    public static func == (a: FeatureMatrix, b: FeatureMatrix) -> Bool {
        a.width == b.width && a.values == b.values && a.blocks.map(\.name) == b.blocks.map(\.name) && a.blocks.map(\.width) == b.blocks.map(\.width)
    }

    /// One-hot blocks wider than this are refused: such a column is an id, not a feature.
    public static let maxVocabulary = 4096
}

extension FeatureTable {
    /// Rows for node ids 0..<nodes (the key ids of the id map the table was loaded with) from
    /// `columns`, in that order. `file` names the table in errors.
    public func matrix(columns names: [String], nodes: Int, file: String) throws -> FeatureMatrix {
        func fail(_ field: String, _ expected: String, _ found: String) -> DataError {
            DataError(kind: .invalidValue, file: file, line: 1, field: field, expected: expected, found: found)
        }
        guard !names.isEmpty, Set(names).count == names.count else {
            throw fail("columns", "one or more distinct column names", "\(names)")
        }
        var blocks: [(name: String, width: Int)] = []
        var writers: [(_ row: Int, _ out: UnsafeMutableBufferPointer<Float>) -> Void] = []
        for name in names {
            guard let column = column(name) else {
                throw DataError.missingColumn(file: file, name: name, header: fields.map(\.spelling))
            }
            switch column {
            case .float(let values):
                blocks.append((name, 1))
                writers.append { row, out in out[0] = values[row].isNaN ? 0 : values[row] }
            case .floatSequence(let rows):
                let width = rows.map(\.count).max() ?? 0
                guard width >= 1 else { throw fail(name, "at least one value in some row", "empty rows only") }
                blocks.append((name, width))
                writers.append { row, out in for (j, v) in rows[row].enumerated() { out[j] = v } }
            case .token(let ids, let vocabulary):
                guard vocabulary.count <= FeatureMatrix.maxVocabulary else {
                    throw fail(name, "at most \(FeatureMatrix.maxVocabulary) distinct tokens for a one-hot block", "\(vocabulary.count)")
                }
                blocks.append((name, vocabulary.count))
                writers.append { row, out in out[Int(ids[row])] = 1 }
            case .tokenSequence(let ids, let vocabulary):
                guard vocabulary.count <= FeatureMatrix.maxVocabulary else {
                    throw fail(name, "at most \(FeatureMatrix.maxVocabulary) distinct tokens for a multi-hot block", "\(vocabulary.count)")
                }
                blocks.append((name, vocabulary.count))
                writers.append { row, out in
                    let share = ids[row].isEmpty ? 0 : 1 / Float(ids[row].count)
                    for id in ids[row] { out[Int(id)] += share }
                }
            }
        }
        let width = blocks.reduce(0) { $0 + $1.width }
        var values = [Float](repeating: 0, count: nodes * width)
        values.withUnsafeMutableBufferPointer { all in
            for node in 0..<nodes {
                guard let row = row(ofKey: Int32(node)) else { continue }
                var start = node * width
                for (block, write) in zip(blocks, writers) {
                    write(row, UnsafeMutableBufferPointer(rebasing: all[start..<(start + block.width)]))
                    start += block.width
                }
            }
        }
        return FeatureMatrix(width: width, values: values, blocks: blocks)
    }
}
