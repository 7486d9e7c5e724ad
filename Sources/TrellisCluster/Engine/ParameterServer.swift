import TrellisCore
import TrellisTensor
import TrellisTraining

/// Holds every table and dense weight, and applies the optimizer to what workers push.
///
///     sync:  contributions of step g from partitions 0..<P are buffered; when the last one
///            arrives they are summed in partition order (deterministic), clipped, applied
///            once; version g -> g + 1.
///     async: each contribution is applied on arrival, rescaled to its own batch mean, with
///            the learning rate divided by P; a partition may pull step g only while
///            g - (slowest partition's step) <= staleness.
///
/// A pure state machine: no sockets, no threads. The coordinator and the one-process engine
/// both drive it, which is why they give the same numbers.
public final class ParameterServer {
    public let store: ParameterStore
    public let partitionCount: Int
    public let mode: ClusterSettings.Mode
    public let staleness: Int
    public let clipNorm: Float?
    let denseOptimizer: DenseOptimizer
    let rowOptimizer: RowOptimizer
    /// The learning rate of each global step (async: divided by P, as the base rate is).
    let schedule: LearningRateSchedule
    /// The rate of the last update applied (the schedule's, for reports and tests).
    public var learningRate: Float { denseOptimizer.learningRate }
    /// Plateaus so far (`LearningRateSchedule.reductions`): set by the run that evaluates,
    /// or from each step's grant on a `server start` shard.
    public var reductions = 0
    /// Updates applied so far.
    public private(set) var version = 0
    /// Next global step each partition must contribute (its data cursor).
    public private(set) var cursors: [Int]
    /// Loss of applied steps, summed (the coordinator reads and resets it per epoch).
    public internal(set) var lossSum: Double = 0
    /// When the weights live on `trellis server start` processes, the coordinator's server keeps
    /// only the books (cursors, version, loss): contributions carry no gradients and nothing is
    /// applied here.
    public var ledgerOnly = false
    /// Sync mode: contributions waiting for the rest of their step, by partition.
    private var pending: [Contribution?]
    private var pendingStep: Int

    public init(store: ParameterStore, partitionCount: Int, training: OptimisationSettings, cluster: ClusterSettings, stepsPerEpoch: Int) {
        self.store = store
        self.partitionCount = partitionCount
        mode = cluster.mode
        staleness = cluster.staleness
        clipNorm = training.clipGradNorm
        // Async applies P updates per global step where sync applies one; each gets 1/P of
        // the learning rate so an epoch moves the weights about as far in both modes.
        var settings = training
        if cluster.mode == .async { settings.learningRate /= Float(partitionCount) }
        (denseOptimizer, rowOptimizer) = OptimizerChoice.make(settings)
        schedule = LearningRateSchedule(settings, stepsPerEpoch: stepsPerEpoch)
        cursors = Array(repeating: 0, count: partitionCount)
        pending = Array(repeating: nil, count: partitionCount)
        pendingStep = 0
    }

    // MARK: Reads

    /// Rows `ids` of table `table`: (ids.count, d). Ids are checked; a bad one throws.
    public func rows(table: Int, ids: [Int32]) throws -> Tensor {
        guard table >= 0, table < store.tables.count else { throw ServerError.badTable(table) }
        let t = store.tables[table]
        let d = t.dimension
        // Every row in order (a whole-graph model's pull): the table itself, shared, not copied.
        if ids.count == t.rowCount, ids.enumerated().allSatisfy({ Int($1) == $0 }) { return t.weights }
        if let bad = ids.first(where: { $0 < 0 || Int($0) >= t.rowCount }) {
            throw ServerError.badRow(table: t.name, row: bad, rows: t.rowCount)
        }
        // A pull of a sampled step reads ~10^5 rows: copied by rows, over the kernel threads.
        let out = [Float](unsafeUninitializedCapacity: ids.count * d) { o, count in
            t.weights.data.withUnsafeBufferPointer { w in
                Parallel.forEachChunk(ids.count, minimumChunk: 4096) { range in
                    for k in range {
                        (o.baseAddress! + k * d).initialize(from: w.baseAddress! + Int(ids[k]) * d, count: d)
                    }
                }
            }
            count = ids.count * d
        }
        return Tensor(shape: [ids.count, d], data: out)
    }

    /// Every dense weight, in parameter order.
    public func denseValues() -> [Tensor] { store.dense.map(\.value) }

    /// Whether `partition` may compute global step `step` now.
    public func canServe(step: Int, partition: Int) -> Bool {
        switch mode {
        case .sync: return version == step
        case .async: return step - (cursors.min() ?? 0) <= staleness && cursors[partition] == step
        }
    }

    // MARK: Writes

    /// Takes a partition's gradient for global step `step`. Returns true when it was applied
    /// (async) or completed its step and the step was applied (sync). A duplicate (a step the
    /// partition already gave) is ignored; anything malformed or out of order throws and
    /// changes nothing.
    @discardableResult
    public func accept(_ c: Contribution, globalStep step: Int) throws -> Bool {
        guard c.partition >= 0, c.partition < partitionCount else { throw ServerError.badPartition(c.partition) }
        if step < cursors[c.partition] { return false }  // a resend after a lost reply
        guard step == cursors[c.partition] else {
            throw ServerError.outOfOrder(partition: c.partition, step: step, expected: cursors[c.partition])
        }
        if mode == .sync, step != pendingStep { throw ServerError.outOfOrder(partition: c.partition, step: step, expected: pendingStep) }
        try validate(c)
        // Everything is checked: only now does the state change.
        cursors[c.partition] += 1
        switch mode {
        case .async:
            let scale = c.share > 0 ? 1 / c.share : 0
            apply([c], scale: scale, step: step)
            return true
        case .sync:
            pending[c.partition] = c
            guard pending.allSatisfy({ $0 != nil }) else { return false }
            apply(pending.map { $0! }, scale: 1, step: step)
            pending = Array(repeating: nil, count: partitionCount)
            pendingStep += 1
            return true
        }
    }

    /// Checks every shape and row id before anything is touched. A NaN or infinite loss
    /// means the run has diverged: a `DivergenceError` naming the step, not a bad message.
    func validate(_ c: Contribution) throws {
        try DivergenceError.check(c.loss, epoch: c.step.epoch, step: c.step.step + 1)
        guard c.rows.count == store.tables.count, c.dense.count == store.dense.count else {
            throw ServerError.badShape("\(c.rows.count) tables and \(c.dense.count) dense gradients for \(store.tables.count) and \(store.dense.count)")
        }
        for (g, t) in zip(c.rows, store.tables) {
            guard g.dimension == t.dimension else { throw ServerError.badShape("\(t.name): rows of \(g.dimension), table has \(t.dimension)") }
            guard t.kind == .trainable || g.isEmpty else { throw ServerError.frozenTable(t.name) }
            for id in g.rowIDs where id < 0 || Int(id) >= t.rowCount { throw ServerError.badRow(table: t.name, row: id, rows: t.rowCount) }
        }
        for (g, p) in zip(c.dense, store.dense) {
            if let g, g.shape != p.value.shape { throw ServerError.badShape("\(p.name): gradient \(g.shape), weight \(p.value.shape)") }
        }
        guard c.share >= 0, c.share <= 1 else { throw ServerError.badShape("loss \(c.loss), share \(c.share)") }
    }

    /// Sums `parts` in the given (partition) order and takes one optimizer step at global
    /// step `step`'s learning rate.
    func apply(_ parts: [Contribution], scale: Float, step: Int) {
        if ledgerOnly {
            for c in parts { lossSum += Double(c.loss) }
            version += 1
            return
        }
        store.zeroGrad()
        for (k, t) in store.tables.enumerated() where t.kind == .trainable {
            var g = Self.sum(parts.map { $0.rows[k] }.filter { !$0.isEmpty }, dimension: t.dimension)
            if scale != 1 { g.scale(by: scale) }
            t.setGradient(g)
        }
        for (k, p) in store.dense.enumerated() {
            var sum: [Float]?
            for c in parts {
                guard let g = c.dense[k] else { continue }
                if sum == nil { sum = g.data } else { for i in 0..<g.count { sum![i] += g.data[i] } }
            }
            if let sum { p.grad = Tensor(shape: p.value.shape, data: scale == 1 ? sum : sum.map { $0 * scale }) }
        }
        store.prepareGradients(clipNorm: clipNorm)
        let rate = schedule.rate(step: step, reductions: reductions)
        denseOptimizer.learningRate = rate
        rowOptimizer.learningRate = rate
        denseOptimizer.step(store.dense)
        rowOptimizer.step(store.trainableTables)
        store.zeroGrad()
        // Losses are already shares of the global step, so their sum is the step's mean loss.
        for c in parts { lossSum += Double(c.loss) }
        version += 1
    }

    /// The partitions' row gradients of one table, in partition order. Where every part has
    /// the same rows (a full softmax: the whole table), their values are added in place,
    /// which is what coalescing the concatenation gives, without its copy and slot table.
    static func sum(_ parts: [RowGradient], dimension: Int) -> RowGradient {
        guard let first = parts.first, parts.count > 1, first.isCoalesced, parts.dropFirst().allSatisfy({ $0.rowIDs == first.rowIDs }) else {
            var g = RowGradient(dimension: dimension)
            for part in parts { g.add(rowIDs: part.rowIDs, values: part.values) }
            return g
        }
        var values = first.values
        values.withUnsafeMutableBufferPointer { total in
            for part in parts.dropFirst() {
                part.values.withUnsafeBufferPointer { v in
                    Parallel.forEachChunk(v.count, minimumChunk: 1 << 16) { range in
                        for i in range { total[i] += v[i] }
                    }
                }
            }
        }
        return RowGradient(dimension: dimension, rowIDs: first.rowIDs, values: values)
    }

    /// Reads and clears the loss accumulated since the last call.
    public func takeLoss() -> Double {
        defer { lossSum = 0 }
        return lossSum
    }

    // MARK: Checkpoints

    /// Optimizer state of (dense, rows).
    public func optimizerStates() -> (dense: OptimizerState, rows: OptimizerState) {
        ((denseOptimizer as? StatefulOptimizer)?.exportState() ?? OptimizerState(),
         (rowOptimizer as? StatefulOptimizer)?.exportState() ?? OptimizerState())
    }

    /// Puts back a checkpointed state: weights are already in `store`; this sets the
    /// optimizers, the version and every partition's cursor (all at `version` in sync mode).
    /// Everything is checked first (one cursor per partition, none negative, every optimizer
    /// buffer of its parameter's size); a state that does not fit throws and changes nothing.
    public func restore(version: Int, cursors: [Int], dense: OptimizerState, rows: OptimizerState, lossSum: Double = 0) throws {
        guard version >= 0, cursors.count == partitionCount, cursors.allSatisfy({ $0 >= 0 }) else {
            throw ServerError.badShape("restored version \(version) and cursors \(cursors), expected a version >= 0 and \(partitionCount) cursors >= 0")
        }
        let stateful = [(denseOptimizer as? StatefulOptimizer, dense, store.dense.optimizerSizes, "dense"),
                        (rowOptimizer as? StatefulOptimizer, rows, store.trainableTables.optimizerSizes, "table")]
        for (optimizer, state, sizes, kind) in stateful {
            do {
                if let optimizer { try optimizer.check(state, sizes: sizes) } else if !state.buffers.isEmpty {
                    throw OptimizerStateError(buffer: state.buffers.keys.sorted()[0], expected: "no buffers (the optimizer keeps none)", found: "a buffer")
                }
            } catch let error as OptimizerStateError {
                throw ServerError.badOptimizerState(kind: kind, error)
            }
        }
        for (optimizer, state, sizes, _) in stateful { try optimizer?.importState(state, sizes: sizes) }
        self.version = version
        self.cursors = cursors
        pending = Array(repeating: nil, count: partitionCount)
        pendingStep = version
        self.lossSum = lossSum
    }
}

/// Why the parameter server refused a request; nothing was changed.
public enum ServerError: Error, CustomStringConvertible, Equatable {
    case badTable(Int)
    case badRow(table: String, row: Int32, rows: Int)
    case badPartition(Int)
    case badShape(String)
    /// A gradient for a frozen table's rows.
    case frozenTable(String)
    case outOfOrder(partition: Int, step: Int, expected: Int)
    /// A restored optimizer buffer ("dense" or "table" optimizer) that does not fit its parameter.
    case badOptimizerState(kind: String, OptimizerStateError)

    public var description: String {
        switch self {
        case .badTable(let t): return "no table \(t)"
        case .badRow(let t, let r, let n): return "\(t): row \(r) out of range 0..<\(n)"
        case .badPartition(let p): return "no partition \(p)"
        case .badShape(let why): return "shape mismatch: \(why)"
        case .frozenTable(let t): return "\(t) is frozen: it takes no gradient"
        case .outOfOrder(let p, let s, let e): return "partition \(p) sent step \(s), expected \(e)"
        case .badOptimizerState(let kind, let error): return "\(kind) optimizer: \(error)"
        }
    }
}
