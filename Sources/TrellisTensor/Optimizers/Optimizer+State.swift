/// An optimizer's mutable state, flattened for checkpoints: a step count and named float
/// buffers (`m/<parameter>`, `v/<parameter>`, `velocity/<parameter>`, `accumulator/<parameter>`).
public struct OptimizerState: Sendable, Equatable {
    public var stepCount: Int
    public var buffers: [String: [Float]]
    public init(stepCount: Int = 0, buffers: [String: [Float]] = [:]) {
        self.stepCount = stepCount
        self.buffers = buffers
    }
}

/// An optimizer whose state can be saved and put back, so a resumed run continues exactly.
public protocol StatefulOptimizer: AnyObject {
    func exportState() -> OptimizerState
    func importState(_ state: OptimizerState)
}

extension MomentBuffers {
    func flattened() -> [String: [Float]] {
        var out: [String: [Float]] = [:]
        for (k, v) in first { out["m/\(k)"] = v }
        for (k, v) in second { out["v/\(k)"] = v }
        return out
    }

    init(flattened buffers: [String: [Float]]) {
        self.init()
        for (k, v) in buffers {
            if k.hasPrefix("m/") { first[String(k.dropFirst(2))] = v }
            if k.hasPrefix("v/") { second[String(k.dropFirst(2))] = v }
        }
    }
}

extension Adam: StatefulOptimizer {
    public func exportState() -> OptimizerState { OptimizerState(stepCount: stepCount, buffers: moments.flattened()) }
    public func importState(_ state: OptimizerState) {
        stepCount = state.stepCount
        moments = MomentBuffers(flattened: state.buffers)
    }
}

extension LazyAdam: StatefulOptimizer {
    public func exportState() -> OptimizerState { OptimizerState(stepCount: stepCount, buffers: moments.flattened()) }
    public func importState(_ state: OptimizerState) {
        stepCount = state.stepCount
        moments = MomentBuffers(flattened: state.buffers)
    }
}

extension SGD: StatefulOptimizer {
    public func exportState() -> OptimizerState {
        OptimizerState(buffers: Dictionary(uniqueKeysWithValues: velocity.map { ("velocity/\($0.key)", $0.value) }))
    }
    public func importState(_ state: OptimizerState) {
        velocity = [:]
        for (k, v) in state.buffers where k.hasPrefix("velocity/") { velocity[String(k.dropFirst(9))] = v }
    }
}

extension RowSGD: StatefulOptimizer {
    public func exportState() -> OptimizerState { OptimizerState() }
    public func importState(_ state: OptimizerState) {}
}

extension RowAdagrad: StatefulOptimizer {
    public func exportState() -> OptimizerState {
        OptimizerState(buffers: Dictionary(uniqueKeysWithValues: accumulators.map { ("accumulator/\($0.key)", $0.value) }))
    }
    public func importState(_ state: OptimizerState) {
        accumulators = [:]
        for (k, v) in state.buffers where k.hasPrefix("accumulator/") { accumulators[String(k.dropFirst(12))] = v }
    }
}
