import TrellisModels

extension ModelEntry {
    /// BPR matrix factorisation: no layers, no dense weights; the tables are the outputs.
    public static let matrixFactorization = ModelEntry(name: "bpr", fanouts: { _, _ in [] }) { _, _, _ in
        ShardedMatrixFactorization()
    }
}
