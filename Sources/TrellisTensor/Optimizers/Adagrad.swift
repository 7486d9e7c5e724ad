/// Row-sparse Adagrad: each row keeps its own sum of squared gradients, so rarely seen rows
/// keep larger steps (the classic choice for huge embedding tables).
public final class RowAdagrad: RowOptimizer {
    public var learningRate: Float
    public let epsilon: Float
    public let initialAccumulator: Float
    public internal(set) var accumulators: [String: [Float]] = [:]

    public init(learningRate: Float = 0.01, epsilon: Float = 1e-10, initialAccumulator: Float = 0) {
        self.learningRate = learningRate
        self.epsilon = epsilon
        self.initialAccumulator = initialAccumulator
    }

    public func step(_ tables: [EmbeddingTable]) {
        for t in tables {
            let g = t.gradient.coalesced(), d = t.dimension
            guard !g.isEmpty else { continue }
            // Taken out of the dictionary so the update below does not copy it.
            var acc = accumulators.removeValue(forKey: t.name) ?? [Float](repeating: initialAccumulator, count: t.weights.count)
            for (k, row) in g.rowIDs.enumerated() {
                let base = Int(row) * d
                for j in 0..<d {
                    let gi = g.values[k * d + j], i = base + j
                    acc[i] += gi * gi
                    t.weights.data[i] -= learningRate * gi / (acc[i].squareRoot() + epsilon)
                }
            }
            accumulators[t.name] = acc
        }
    }
}
