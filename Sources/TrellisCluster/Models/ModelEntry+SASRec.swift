import TrellisModels

extension ModelEntry {
    /// SASRec over the item table: `model.blocks` causal Transformer blocks of `model.heads`
    /// heads, `model.max_length` positions; trains with task.kind next_item.
    public static let sasrec = ModelEntry(
        name: "sasrec",
        check: { m in
            guard m.embeddingSize % m.heads == 0 else {
                return ("model.heads", "expected a divisor of embedding_size \(m.embeddingSize), got \(m.heads)")
            }
            return nil
        },
        fanouts: { _, _ in [] },
        build: { config, _, _ in
            let m = config.model
            return SASRec(dimension: m.embeddingSize, maxLength: m.maxLength, blocks: m.blocks, heads: m.heads,
                          inner: m.innerSize > 0 ? m.innerSize : 4 * m.embeddingSize, dropout: m.dropout,
                          norm: m.norm == .pre ? .pre : .post, seed: config.seed)
        })
}
