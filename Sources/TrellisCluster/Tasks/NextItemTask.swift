import TrellisCore
import TrellisData
import TrellisEval
import TrellisGraph
import TrellisModels
import TrellisTensor
import TrellisTraining

/// Next-item prediction (SASRec): each user's training links in time order form a sequence;
/// every position predicts the item after it.
///
///     batch   windows of <= L targets, or prefixes with one (SequenceWindows), seeded per
///             (partition, epoch, step)
///     seeds   the items read: every item (softmax), or the windows' items and drawn ones
///     h       model.encode(item rows, inputs) at the targets' positions     (T, d)
///     loss    softmax: CE of h_t · Eᵀ over every item, mean over the batch's targets
///             sampled_softmax: the same over the batch's targets and N drawn items only
///             bce:     −log σ(h_t · e_target) − log σ(−h_t · e_negative), mean over targets
///             times share (the batch's windows over the global step's)
///     eval    each held-out item with items before it: the last L of those (training,
///             validation for the test, earlier held ones) -> the last state ranks every item;
///             RecBole's protocol ranks the history too (`evaluation.mask_history` leaves it
///             out); or, with `evaluation.sampled_negatives` N, the item against N items the
///             user never had, seeded per (user, position)
public final class NextItemTask: TrainingTask {
    public let loss: TaskSettings.Loss
    public let positions: TaskSettings.Positions
    /// Items a sampled softmax draws per batch (`training.negatives`).
    public let sampled: Int
    public let maxLength: Int
    public let ks: [Int]
    public let maskHistory: Bool
    /// Candidates sampled beside each held-out item (0: rank the whole catalogue).
    public let sampledNegatives: Int
    public let itemCount: Int
    let samplers: [Int: SequenceWindows]
    let exampleCounts: [Int]
    let stepsPerEpoch: Int
    let seed: UInt64
    /// Users encoded at once in evaluation.
    static let evaluationChunk = 256

    public init(config: TrainingConfig, inputs: TaskInputs) {
        loss = config.task.loss
        positions = config.task.positions
        sampled = config.training.negatives
        maxLength = config.model.maxLength
        ks = config.evaluation.topk
        maskHistory = config.evaluation.maskHistory
        sampledNegatives = config.evaluation.sampledNegatives
        itemCount = inputs.itemCount
        exampleCounts = inputs.exampleCounts
        stepsPerEpoch = inputs.stepsPerEpoch
        seed = config.seed
        var samplers: [Int: SequenceWindows] = [:]
        for (p, l) in inputs.links {
            samplers[p] = SequenceWindows(partition: p, users: l.users, items: l.items, maxLength: maxLength,
                                          positions: config.task.positions, stepsPerEpoch: stepsPerEpoch, seed: config.seed)
        }
        self.samplers = samplers
    }

    public var partitions: [Int] { samplers.keys.sorted() }

    public func batch(partition: Int, step: StepID) throws -> any TaskBatch {
        guard let sampler = samplers[partition] else { throw PlanError("partition \(partition) is not held by this stepper") }
        let (inputs, targets) = sampler.batch(epoch: step.epoch, step: step.step)
        let stream: [UInt64] = [0x6E65_7874, UInt64(partition), UInt64(step.epoch), UInt64(step.step)]  // "next"
        switch loss {
        case .softmax:
            // Every item is a seed in id order, so an item's row is its id.
            return SequenceBatch(items: (0..<Int32(itemCount)).map { $0 }, inputs: inputs, targets: targets,
                                 length: maxLength, stream: stream)
        case .bce:
            var rng = SeededGenerator(seed: seed, stream: [0x6E65_6761] + stream.dropFirst())  // "nega"
            let negatives = targets.map { t -> Int32 in
                guard t >= 0 else { return -1 }
                let n = Int32(rng.next(upperBound: UInt64(itemCount)))
                return n != t || itemCount == 1 ? n : (n + 1) % Int32(itemCount)
            }
            let (items, rows) = Self.seeds(inputs, targets, negatives)
            return SequenceBatch(items: items, inputs: rows(inputs), targets: rows(targets), negatives: rows(negatives),
                                 length: maxLength, stream: stream)
        case .sampledSoftmax:
            var rng = SeededGenerator(seed: seed, stream: [0x6E65_6761] + stream.dropFirst())  // "nega"
            let drawn = (0..<sampled).map { _ in Int32(rng.next(upperBound: UInt64(itemCount))) }
            let candidates = Array(Set(targets + drawn).subtracting([-1])).sorted()
            let (items, rows) = Self.seeds(inputs, candidates)
            return SequenceBatch(items: items, inputs: rows(inputs), targets: rows(targets), candidates: rows(candidates),
                                 length: maxLength, stream: stream)
        }
    }

    /// The distinct item ids of `lists` (padding left out), ascending, and the map from an id
    /// list to rows among them (-1 stays -1).
    static func seeds(_ lists: [Int32]...) -> (items: [Int32], rows: ([Int32]) -> [Int32]) {
        let items = Array(Set(lists.joined()).subtracting([-1])).sorted()
        let row = Dictionary(uniqueKeysWithValues: items.enumerated().map { ($1, Int32($0)) })
        return (items, { ids in ids.map { $0 < 0 ? -1 : row[$0]! } })
    }

    public func globalCount(step: Int) -> Int {
        exampleCounts.reduce(0) { $0 + LinkBatchSampler.count(step: step, links: $1, stepsPerEpoch: stepsPerEpoch, negatives: 1) }
    }

    public func loss(outputs: [Variable], inputs: [Variable], batch: any TaskBatch, share: Float,
                     model: SampledRecommender) -> Variable {
        guard let batch = batch as? SequenceBatch, let encoder = model as? SequenceRecommender else {
            preconditionFailure("the next-item task needs a SequenceBatch and a sequence model, got \(type(of: batch)), \(model.name)")
        }
        let items = outputs[GraphTopology.item]                                           // (R, d)
        var rng = SeededGenerator(seed: seed, stream: batch.stream)
        // Every target's state: (T, d). With one target per window, at its last position, the
        // encoder computes only that position in its final block.
        let states: Variable, scored: [Int32]
        if positions == .last {
            scored = (0..<batch.count).map { Int32($0 * batch.length + batch.length - 1) }
            states = encoder.encode(items: items, sequences: batch.inputs, training: true, positions: .last, rng: &rng, attention: nil)
        } else {
            scored = batch.targets.indices.filter { batch.targets[$0] >= 0 }.map { Int32($0) }
            states = encoder.encode(items: items, sequences: batch.inputs, training: true, positions: .rows(scored), rng: &rng, attention: nil)
        }
        let targets = scored.map { batch.targets[Int($0)] }
        let mean: Variable
        switch loss {
        case .softmax:
            mean = states.crossEntropy(scoredAgainst: items, targets: targets)                  // (T, R) scores -> mean CE
        case .sampledSoftmax:
            // Each target's class is its place among the candidates: (T, C) logits.
            let place = Dictionary(uniqueKeysWithValues: batch.candidates.enumerated().map { ($1, Int32($0)) })
            mean = states.crossEntropy(scoredAgainst: items.gather(rows: batch.candidates), targets: targets.map { place[$0]! })
        case .bce:
            let negatives = scored.map { batch.negatives[Int($0)] }
            let positive = (states * items.gather(rows: targets)).sum(axis: 1)           // (T)
            let negative = (states * items.gather(rows: negatives)).sum(axis: 1)         // (T)
            mean = ((positive * -1).softplus() + negative.softplus()).sum() * (1 / Float(max(1, scored.count)))
        }
        return share == 1 ? mean : mean * share
    }

    public func emptySums(itemCount: Int) -> EvaluationSums {
        .ranking(RankingMetrics(ks: ks, itemCount: sampledNegatives > 0 ? sampledNegatives + 1 : itemCount))
    }

    public func evaluationSums(_ part: EvaluationPart, share: EvaluationShare, outputs: FinalOutputs,
                               model: SampledRecommender) throws -> EvaluationSums {
        guard let encoder = model as? SequenceRecommender else { throw PlanError("task.kind next_item needs a sequence model, got \(model.name)") }
        let items = try outputs.whole(type: GraphTopology.item)                              // (I, d)
        let table = Variable(items)
        var rng = SeededGenerator(seed: seed)   // unused: no dropout in evaluation
        return rank(part, share: share, items: items) { sequences in
            encoder.encode(items: table, sequences: sequences, training: false, positions: .last, rng: &rng, attention: nil).value
        }
    }

    /// The popularity yardstick on this protocol: every example's state is 1 and an item's
    /// score its training count (`scores`, one per item).
    public func popularitySums(_ part: EvaluationPart, share: EvaluationShare, scores: [Float]) -> EvaluationSums {
        rank(part, share: share, items: Tensor(shape: [scores.count, 1], data: scores)) { sequences in
            Tensor(shape: [sequences.count / maxLength, 1], repeating: 1)
        }
    }

    /// Ranks every example of `share`'s `part`: `states` maps a chunk's left-padded inputs
    /// (n · L ids, -1 for padding) to their states (n, d), scored against `items` (I, d).
    ///
    /// A user's sequence is the links seen before `part` (training, then validation), then
    /// the held ones, each list in time order. Every held item with something before it is
    /// one example, predicted from the last L items before it: a leave-one-out user's single
    /// held item from their whole history, a held-out user of `split: users` at every
    /// position after the first (seed 003's samples).
    func rank(_ part: EvaluationPart, share: EvaluationShare, items: Tensor, states: ([Int32]) -> Tensor) -> EvaluationSums {
        let itemCount = items.shape[0], d = items.shape[1]
        let seen = UserSequences(users: share.seen(part).users, items: share.seen(part).items)
        let held = UserSequences(users: share.held(part).users, items: share.held(part).items)
        // Each held user's earlier items (empty for a user held out whole), looked up once.
        let histories = held.users.map { u in seen.index(of: u).map { seen.sequence($0) } ?? [] }
        var examples: [(user: Int, position: Int)] = []   // (index in `held`, place in its sequence)
        for k in held.users.indices {
            for j in 0..<held.sequence(k).count where histories[k].count + j > 0 { examples.append((k, j)) }
        }
        var metrics = RankingMetrics(ks: ks, itemCount: sampledNegatives > 0 ? sampledNegatives + 1 : itemCount)
        let L = maxLength
        var known: (user: Int, items: Set<Int32>)?   // every item of the last user ranked against samples
        for start in stride(from: 0, to: examples.count, by: Self.evaluationChunk) {
            let chunk = examples[start..<min(examples.count, start + Self.evaluationChunk)]
            var sequences = [Int32](repeating: -1, count: chunk.count * L)
            var targets: [Int32] = []
            for (b, (k, j)) in chunk.enumerated() {
                let sequence = held.sequence(k), earlier = sequence.prefix(j)
                // The last L items before the target: the end of the history, then the earlier held ones.
                let window = Array(histories[k].suffix(max(0, L - earlier.count))) + earlier.suffix(L)
                for (c, item) in window.enumerated() { sequences[b * L + L - window.count + c] = item }
                targets.append(sequence[sequence.startIndex + j])
            }
            defer { WorkProgress.advance() }
            let rows = states(sequences)                                                     // (chunk, d)
            if sampledNegatives > 0 {
                for (b, (k, j)) in chunk.enumerated() {
                    // Every item the user had, which sampled candidates avoid.
                    if known?.user != k { known = (k, Set(histories[k]).union(held.sequence(k))) }
                    rankAgainstSampled(&metrics, state: Array(rows.data[b * d..<(b + 1) * d]), user: held.users[k], position: j,
                                       part: part, target: targets[b], known: known!.items, items: items)
                }
            } else {
                // Row b of each matrix is example b: its one positive, and (mask_history) the items before it.
                let ids = (0..<Int32(chunk.count)).map { $0 }
                let positives = CSRMatrix(rowCount: chunk.count, columnCount: itemCount, rows: ids, columns: targets, values: nil, sortRows: true)
                var maskRows: [Int32] = [], maskItems: [Int32] = []
                if maskHistory {
                    for (b, (k, j)) in chunk.enumerated() {
                        let before = histories[k] + held.sequence(k).prefix(j)
                        maskRows += repeatElement(Int32(b), count: before.count)
                        maskItems += before
                    }
                }
                let mask = CSRMatrix(rowCount: chunk.count, columnCount: itemCount, rows: maskRows, columns: maskItems, values: nil, sortRows: true)
                    .removingDuplicateColumns()
                RankingEvaluation.accumulate(into: &metrics, users: ids, userRows: rows, items: items, targets: positives, mask: mask)
            }
        }
        return .ranking(metrics)
    }

    /// The paper's protocol: a held-out item ranks first among itself and `sampledNegatives`
    /// items drawn uniformly from those the user never had (`known`), from a stream of
    /// (seed, part, user), and of the held position after the user's first held item, so
    /// every layout draws the same. A catalogue with fewer such items leaves the missing
    /// candidates unrankable (score −∞).
    func rankAgainstSampled(_ metrics: inout RankingMetrics, state: [Float], user: Int32, position: Int, part: EvaluationPart,
                            target: Int32, known: Set<Int32>, items: Tensor) {
        let itemCount = items.shape[0], d = items.shape[1]
        func score(_ item: Int32) -> Float {
            var s: Float = 0
            for c in 0..<d { s += state[c] * items.data[Int(item) * d + c] }
            return s
        }
        var stream: [UInt64] = [0x7361_6D70, part == .test ? 2 : 1, UInt64(user)]  // "samp"
        if position > 0 { stream.append(UInt64(position)) }
        var rng = SeededGenerator(seed: seed, stream: stream)
        var scores = [Float](repeating: -.infinity, count: sampledNegatives + 1)
        scores[0] = score(target)
        var drawn = Set<Int32>(), tries = 0
        while drawn.count < sampledNegatives && tries < 50 * sampledNegatives {
            tries += 1
            let candidate = Int32(rng.next(upperBound: UInt64(itemCount)))
            if known.contains(candidate) || drawn.contains(candidate) { continue }
            drawn.insert(candidate)
            scores[drawn.count] = score(candidate)
        }
        scores.withUnsafeBufferPointer { metrics.addUser(scores: $0, exclude: [], positives: [0]) }
    }
}
