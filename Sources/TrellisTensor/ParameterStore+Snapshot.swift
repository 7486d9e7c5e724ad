extension ParameterStore {
    /// A copy of every trainable table and dense parameter, by name (cheap: tensors are
    /// copy-on-write). Frozen tables are left out: training never changes them.
    public func snapshot() -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for t in trainableTables { out[t.name] = t.weights }
        for p in dense { out[p.name] = p.value }
        return out
    }

    /// Puts back weights from `snapshot()`; names it does not hold are left as they are.
    public func restore(_ weights: [String: Tensor]) {
        for t in tables { if let w = weights[t.name] { t.weights = w } }
        for p in dense { if let w = weights[p.name] { p.value = w } }
    }
}
