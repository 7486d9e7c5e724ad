import TrellisCore
import TrellisData
import TrellisGraph
import TrellisModels
import TrellisTensor

/// A sequence model (SASRec) serves a user from the items the user had, not from a user row:
///
///     history   every item of the user in the data (training, validation, test), in time order
///     scores    state of the last position after the last L items, against every item's row
///     attention each block's attention over those items (seed 003's heat-map)
extension TrainedModel {
    /// The sequence model, where the run trained one.
    var sequenceModel: SequenceRecommender? { scorer as? SequenceRecommender }

    /// User row `user`'s items in time order (ties: training before validation before test,
    /// then file order).
    public func history(user: Int32) -> [Int32] {
        var events: [(time: Double, part: Int, row: Int, item: Int32)] = []
        for (part, table) in [dataset.split.train, dataset.split.valid, dataset.split.test].enumerated() {
            for k in 0..<table.count where table.users[k] == user {
                events.append((table.timestamps[k], part, k, table.items[k]))
            }
        }
        events.sort { ($0.time, $0.part, $0.row) < ($1.time, $1.part, $1.row) }
        return events.map(\.item)
    }

    /// The last `maxLength` items of the user's history, left-padded (-1), and the model's
    /// state at the last position ((1, d)); `attention` receives each block's (1, H, L, L).
    func lastState(user: Int32, model: SequenceRecommender,
                   attention: ((Int, Tensor) -> Void)? = nil) -> (sequence: [Int32], state: Tensor) {
        let L = model.maxLength, items = history(user: user).suffix(L)
        let sequence = [Int32](repeating: -1, count: L - items.count) + items
        var rng = SeededGenerator(seed: config.seed)   // no dropout outside training
        // The heat-map needs every position's attention; a score only the last position's state.
        let h = model.encode(items: Variable(outputs[GraphTopology.item]), sequences: sequence, training: false,
                             positions: attention == nil ? .last : .every, rng: &rng, attention: attention)   // (1, d) or (L, d)
        return (sequence, attention == nil ? h.value : h.gather(rows: [Int32(L - 1)]).value)
    }

    /// Every item's score for user row `user` from the sequence model.
    func sequenceScores(user: Int32, model: SequenceRecommender) -> [Float] {
        let state = lastState(user: user, model: model).state, items = outputs[GraphTopology.item]
        let itemCount = items.shape[0], d = items.shape[1]
        var scores = [Float](repeating: 0, count: itemCount)
        state.data.withUnsafeBufferPointer { u in items.data.withUnsafeBufferPointer { it in scores.withUnsafeMutableBufferPointer { s in
            BLAS.gemm(transposeA: false, transposeB: true, m: 1, n: itemCount, k: d, a: u.baseAddress!, b: it.baseAddress!, c: s.baseAddress!)
        } } }
        return scores
    }

    /// Raw user `raw`'s last items (raw ids, oldest first) and block `block`'s attention over
    /// them per head: weights[h][i][j] is how much position i reads position j (j <= i).
    public func attention(user raw: String, block: Int? = nil) throws -> (items: [String], block: Int, weights: [[[Float]]]) {
        guard let model = sequenceModel else {
            throw ServingError("--attention: \(config.model.kind) is not a sequence model (the heat-map is SASRec's attention)")
        }
        let user = try userRow(raw)
        var maps: [Int: Tensor] = [:]
        let sequence = lastState(user: user, model: model) { maps[$0] = $1 }.sequence
        let chosen = block ?? (maps.keys.max() ?? 0)
        guard let map = maps[chosen] else {
            throw ServingError("--block \(chosen): the model has \(maps.count) blocks (0..<\(maps.count))")
        }
        let L = model.maxLength, heads = map.shape[1], first = sequence.firstIndex { $0 >= 0 } ?? L
        let itemIDs = dataset.split.train.itemIDs
        let weights = (0..<heads).map { h in
            (first..<L).map { i in (first..<L).map { j in map.data[((h * L) + i) * L + j] } }
        }
        return (sequence[first...].map { itemIDs.raw(of: $0) }, chosen, weights)
    }
}
