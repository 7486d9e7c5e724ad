/// Stochastic gradient descent with optional momentum and L2 weight decay.
public final class SGD: DenseOptimizer {
    public var learningRate: Float
    public let momentum: Float
    public let weightDecay: Float
    public internal(set) var velocity: [String: [Float]] = [:]

    public init(learningRate: Float, momentum: Float = 0, weightDecay: Float = 0) {
        self.learningRate = learningRate
        self.momentum = momentum
        self.weightDecay = weightDecay
    }

    public func step(_ parameters: [Variable]) {
        for p in parameters {
            guard let g = p.grad else { continue }
            var v = velocity.removeValue(forKey: p.name) ?? [Float](repeating: 0, count: g.count)
            for i in 0..<g.count {
                let gi = g.data[i] + weightDecay * p.value.data[i]
                v[i] = momentum * v[i] + gi
                p.value.data[i] -= learningRate * v[i]
            }
            if momentum != 0 { velocity[p.name] = v }
        }
    }
}

/// Plain SGD on the rows a batch touched.
public final class RowSGD: RowOptimizer {
    public var learningRate: Float
    public init(learningRate: Float) { self.learningRate = learningRate }

    public func step(_ tables: [EmbeddingTable]) {
        for t in tables {
            let g = t.gradient.coalesced(), d = t.dimension
            for (k, row) in g.rowIDs.enumerated() {
                let base = Int(row) * d
                for j in 0..<d { t.weights.data[base + j] -= learningRate * g.values[k * d + j] }
            }
        }
    }
}
