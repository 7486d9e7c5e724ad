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
///
/// A state comes from outside (a checkpoint, another process), and the optimizers index
/// their buffers through unchecked pointers, so `importState` checks every buffer against
/// the parameters it will step before taking any: a name this optimizer does not keep, a
/// parameter it does not know, or a size other than the parameter's is refused and nothing
/// changes.
public protocol StatefulOptimizer: AnyObject {
    /// The buffer name prefixes this optimizer keeps, e.g. `["m/", "v/"]`.
    static var bufferPrefixes: [String] { get }
    func exportState() -> OptimizerState
    /// Puts `state` back; `sizes` holds the value count of every parameter it may step, by
    /// name (a table's rows x dimension). Throws `OptimizerStateError`, changing nothing.
    func importState(_ state: OptimizerState, sizes: [String: Int]) throws
}

extension StatefulOptimizer {
    /// Whether `importState(state, sizes:)` would accept `state`; throws the first problem.
    public func check(_ state: OptimizerState, sizes: [String: Int]) throws {
        guard state.stepCount >= 0 else {
            throw OptimizerStateError(buffer: "step count", expected: "at least 0", found: "\(state.stepCount)")
        }
        let prefixes = Self.bufferPrefixes
        for (key, buffer) in state.buffers.sorted(by: { $0.key < $1.key }) {
            guard let prefix = prefixes.first(where: { key.hasPrefix($0) }) else {
                throw OptimizerStateError(buffer: key, expected: prefixes.isEmpty ? "no buffers (\(Self.self) keeps none)"
                                            : "a name \(prefixes.map { $0 + "<parameter>" }.joined(separator: " or "))",
                                          found: "an unknown buffer")
            }
            guard let size = sizes[String(key.dropFirst(prefix.count))] else {
                throw OptimizerStateError(buffer: key, expected: "a parameter of one of the names \(sizes.keys.sorted())", found: "none")
            }
            guard buffer.count == size else {
                throw OptimizerStateError(buffer: key, expected: "\(size) values (its parameter's)", found: "\(buffer.count)")
            }
        }
    }
}

/// An optimizer buffer that does not fit the parameters the optimizer would step.
public struct OptimizerStateError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The buffer, e.g. `m/item.embedding`.
    public let buffer: String
    public let expected: String
    public let found: String
    public init(buffer: String, expected: String, found: String) {
        self.buffer = buffer
        self.expected = expected
        self.found = found
    }
    public var description: String { "optimizer buffer \(buffer): expected \(expected), found \(found)" }
}

extension Collection where Element == Variable {
    /// Value count by parameter name: the `sizes` that `importState` checks against.
    public var optimizerSizes: [String: Int] {
        Dictionary(map { ($0.name, $0.value.count) }, uniquingKeysWith: { a, _ in a })
    }
}

extension Collection where Element == EmbeddingTable {
    /// Value count (rows x dimension) by table name: the `sizes` that `importState` checks against.
    public var optimizerSizes: [String: Int] {
        Dictionary(map { ($0.name, $0.weights.count) }, uniquingKeysWith: { a, _ in a })
    }
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
    public static var bufferPrefixes: [String] { ["m/", "v/"] }
    public func exportState() -> OptimizerState { OptimizerState(stepCount: stepCount, buffers: moments.flattened()) }
    public func importState(_ state: OptimizerState, sizes: [String: Int]) throws {
        try check(state, sizes: sizes)
        stepCount = state.stepCount
        moments = MomentBuffers(flattened: state.buffers)
    }
}

extension LazyAdam: StatefulOptimizer {
    public static var bufferPrefixes: [String] { ["m/", "v/"] }
    public func exportState() -> OptimizerState { OptimizerState(stepCount: stepCount, buffers: moments.flattened()) }
    public func importState(_ state: OptimizerState, sizes: [String: Int]) throws {
        try check(state, sizes: sizes)
        stepCount = state.stepCount
        moments = MomentBuffers(flattened: state.buffers)
    }
}

extension SGD: StatefulOptimizer {
    public static var bufferPrefixes: [String] { ["velocity/"] }
    public func exportState() -> OptimizerState {
        OptimizerState(buffers: Dictionary(uniqueKeysWithValues: velocity.map { ("velocity/\($0.key)", $0.value) }))
    }
    public func importState(_ state: OptimizerState, sizes: [String: Int]) throws {
        try check(state, sizes: sizes)
        velocity = [:]
        for (k, v) in state.buffers where k.hasPrefix("velocity/") { velocity[String(k.dropFirst(9))] = v }
    }
}

extension RowSGD: StatefulOptimizer {
    public static var bufferPrefixes: [String] { [] }
    public func exportState() -> OptimizerState { OptimizerState() }
    public func importState(_ state: OptimizerState, sizes: [String: Int]) throws { try check(state, sizes: sizes) }
}

extension RowAdagrad: StatefulOptimizer {
    public static var bufferPrefixes: [String] { ["accumulator/"] }
    public func exportState() -> OptimizerState {
        OptimizerState(buffers: Dictionary(uniqueKeysWithValues: accumulators.map { ("accumulator/\($0.key)", $0.value) }))
    }
    public func importState(_ state: OptimizerState, sizes: [String: Int]) throws {
        try check(state, sizes: sizes)
        accumulators = [:]
        for (k, v) in state.buffers where k.hasPrefix("accumulator/") { accumulators[String(k.dropFirst(12))] = v }
    }
}
