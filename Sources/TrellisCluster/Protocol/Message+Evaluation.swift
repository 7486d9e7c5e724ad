import TrellisEval
import TrellisGraph
import TrellisTensor
import TrellisTraining
import TrellisWire

/// An evaluation round on the workers (see `PartitionEvaluation`): the coordinator hands out
/// one task per partition and step, with a barrier between steps; steps 0..<L compute a layer
/// (`layerTask`), step L scores (`scoreTask`). Every layer's rows live in the coordinator's
/// activation store for the round; layer 0 is the evaluated weights' tables.
///
///     worker                                   coordinator
///       taskRequest ─────────────────────────▶  held until a partition of the round's step is free
///                   ◀───────────────────────── layerTask | scoreTask (round, part, layer, partition, dense)
///       activationPull(layer, type, ids) ────▶  (layer = the step's)
///                   ◀───────────────────────── activationRows
///       activationPush(layer + 1, type, ids) ▶  only ids its partition owns
///                   ◀───────────────────────── ack
///       layerDone | evaluationSums ──────────▶  the partition's step is done (ack)
public struct EvaluationTask: Equatable {
    public var session: UInt64
    /// Numbers the coordinator's rounds: a report of another round is refused.
    public var round: UInt64
    public var part: EvaluationPart
    /// The layer read: a layer task writes `layer + 1`; a score task reads the final outputs.
    public var layer: Int
    public var partition: Int
    /// The evaluated dense weights (the model's shapes).
    public var dense: [Tensor]
}

// MARK: Encoding

/// Dense weights and activation rows travel losslessly (float32), whatever
/// `cluster.value_encoding` is: an evaluation gives the same numbers in every layout.
extension Message {
    static func encode(_ t: EvaluationTask, _ h: inout ByteWriter) -> EncodedStats {
        h.u64(t.session); h.u64(t.round); h.u8(t.part == .test ? 1 : 0); h.u32(UInt32(t.layer)); h.u32(UInt32(t.partition))
        h.u32(UInt32(t.dense.count))
        return t.dense.reduce(EncodedStats.zero) { $0 + TensorCodec.encode($1.data, options: lossless, into: &h) }
    }

    static func encode(rows: Tensor, _ h: inout ByteWriter) -> EncodedStats {
        h.u32(UInt32(rows.shape[0])); h.u32(UInt32(rows.shape.count == 2 ? rows.shape[1] : 0))
        return TensorCodec.encode(rows.data, options: lossless, into: &h)
    }

    static func encode(_ sums: EvaluationSums, _ h: inout ByteWriter) {
        switch sums {
        case .ranking(let m):
            h.u8(0); h.u64(UInt64(m.userCount)); ints(m.ks, &h)
            for v in m.sumValues { h.f64(v) }
            ids(m.bestRanks, &h)
        case .rating(let s):
            h.u8(1); h.u64(UInt64(s.count)); h.f64(s.squaredError); h.f64(s.absoluteError)
        }
    }

    static func encode(_ pairs: RatedPairs, _ h: inout ByteWriter) {
        ids(pairs.users, &h); ids(pairs.items, &h); floats(pairs.ratings, &h)
    }
}

// MARK: Decoding

extension Message {
    /// Widest activation row accepted (a layer's output width).
    static let maxActivationWidth = 1 << 16

    static func evaluationTask(_ field: String, _ r: inout ByteReader, _ limits: WireLimits) throws -> EvaluationTask {
        let session = try r.u64("\(field).session"), round = try r.u64("\(field).round")
        let part: EvaluationPart = try r.u8("\(field).part") == 1 ? .test : .valid
        let layer = Int(try r.u32("\(field).layer"))
        guard layer <= 64 else { throw WireError.outOfRange("\(field).layer", what: "layer", found: "\(layer)", allowed: "0...64") }
        let p = try partition("\(field).partition", &r, limits)
        let count = try r.count("\(field).dense", max: limits.denseShapes.count)
        guard count == limits.denseShapes.count else { throw WireError.mismatch("\(field).dense", expected: "\(limits.denseShapes.count)", found: "\(count)") }
        let dense = try limits.denseShapes.enumerated().map { k, shape in
            Tensor(shape: shape, data: try TensorCodec.decode(from: &r, field: "\(field).dense[\(k)]", count: .exactly(shape.reduce(1, *))))
        }
        return EvaluationTask(session: session, round: round, part: part, layer: layer, partition: p, dense: dense)
    }

    /// A node type and ids of it, each checked against the run's node counts.
    static func typedIDs(_ field: String, _ r: inout ByteReader, _ limits: WireLimits) throws -> (type: Int, ids: [Int32]) {
        let type = Int(try r.u32("\(field).type"))
        guard type < limits.nodeCounts.count else {
            throw WireError.outOfRange("\(field).type", what: "node type", found: "\(type)", allowed: "0..<\(limits.nodeCounts.count)")
        }
        let list = try ids("\(field).ids", &r, max: limits.nodeCounts[type])
        try checkRange("\(field).ids", list, count: limits.nodeCounts[type])
        return (type, list)
    }

    /// Rows of activations: at most `maxRows`, at most `maxActivationWidth` wide.
    static func activationRows(_ field: String, _ r: inout ByteReader, maxRows: Int) throws -> Tensor {
        let count = try r.count("\(field).rows", max: maxRows), width = try r.count("\(field).width", max: maxActivationWidth)
        return Tensor(shape: [count, width], data: try TensorCodec.decode(from: &r, field: field, count: .exactly(count * width)))
    }

    static func evaluationSums(_ field: String, _ r: inout ByteReader, _ limits: WireLimits) throws -> EvaluationSums {
        switch try r.u8("\(field).kind") {
        case 0:
            let users = Int(clamping: try r.u64("\(field).users"))
            let ks = try ints("\(field).ks", &r, max: 64, valueMax: 1 << 16)
            let values = try (0..<(5 * ks.count)).map { _ in try r.f64("\(field).sums") }
            let itemCount = limits.nodeCounts.count > GraphTopology.item ? limits.nodeCounts[GraphTopology.item] : limits.maxItems
            let best = try ids("\(field).bestRanks", &r, max: itemCount)
            guard let m = RankingMetrics(ks: ks, itemCount: best.count, userCount: users, sumValues: values, bestRanks: best) else {
                throw WireError.mismatch("\(field).ks", expected: "sorted, unique, positive cut-offs", found: "\(ks)")
            }
            return .ranking(m)
        case 1:
            let count = Int(clamping: try r.u64("\(field).pairs"))
            return .rating(RatingSums(count: count, squaredError: try r.f64("\(field).squaredError"), absoluteError: try r.f64("\(field).absoluteError")))
        case let kind:
            throw WireError.outOfRange("\(field).kind", what: "sums kind", found: "\(kind)", allowed: "0...1")
        }
    }

    /// (user, item, rating) links: ids within the node counts, finite ratings.
    static func ratedPairs(_ field: String, _ r: inout ByteReader, _ limits: WireLimits) throws -> RatedPairs {
        let users = try ids("\(field).users", &r, max: limits.maxItems), items = try ids("\(field).items", &r, max: users.count)
        let ratings = try r.floats("\(field).ratings", count: try r.count("\(field).ratings", max: users.count))
        guard items.count == users.count, ratings.count == users.count else {
            throw WireError.mismatch(field, expected: "\(users.count) items and ratings", found: "\(items.count) items, \(ratings.count) ratings")
        }
        guard ratings.allSatisfy(\.isFinite) else { throw WireError.mismatch("\(field).ratings", expected: "finite ratings", found: "NaN or infinity") }
        if limits.nodeCounts.count > GraphTopology.item {
            try checkRange("\(field).users", users, count: limits.nodeCounts[GraphTopology.user])
            try checkRange("\(field).items", items, count: limits.nodeCounts[GraphTopology.item])
        }
        return RatedPairs(users: users, items: items, ratings: ratings)
    }

    static func checkRange(_ field: String, _ list: [Int32], count: Int) throws {
        if let k = list.firstIndex(where: { $0 < 0 || Int($0) >= count }) {
            throw WireError.outOfRange("\(field)[\(k)]", what: "node id", found: "\(list[k])", allowed: "0..<\(count)")
        }
    }
}
