import TrellisCore
import TrellisTensor
import TrellisWire

/// What a `trellis server start` process needs to hold shard `shard` of `shardCount`: the run
/// spec (optimizer settings come from the config) and the names and shapes of everything.
///
///     server                         coordinator
///       serverJoin(token, endpoint) ─▶  checks the token, gives a shard index
///                   ◀─────────────── serverWelcome + shardState (its rows, optimizer state)
///                   ◀─────────────── stateRequest (before a checkpoint or an evaluation)
///       shardState ────────────────▶  merged into the coordinator's copy
///     worker ── join(token), pull, push ──▶ server (rows of its shard; dense on shard 0)
public struct ServerWelcome: Equatable {
    /// Named in the server's heartbeats; a coordinator that does not know it (it restarted)
    /// answers with an error and the server joins again.
    public var session: UInt64
    public var shard: Int
    public var shardCount: Int
    /// The run spec (`TrainingConfig.spec`): the optimizer settings come from it.
    public var spec: String
    public var partitionCount: Int
    /// Global steps per epoch (the learning-rate schedule's clock).
    public var stepsPerEpoch: Int
    public var tableNames: [String]
    /// Rows of the whole tables (the shard holds rows r with r % shardCount == shard).
    public var tableRows: [Int]
    public var tableDimensions: [Int]
    /// Frozen tables take no gradient and no optimizer state.
    public var tableKinds: [TableKind]
    /// Dense parameters (held by shard 0 only).
    public var denseNames: [String]
    public var denseShapes: [[Int]]
    public var codec: CodecOptions
    /// The key of the coordinator's task grants: a push is taken only with the grant of a
    /// task the coordinator handed to the pushing session.
    public var grantKey: SipHash
}

/// A shard's whole state: its rows of every table, the dense weights (shard 0), the optimizer
/// state for those, and the server's step bookkeeping. Sent losslessly (float32) both ways.
public struct ShardState: Equatable {
    public var shard: Int
    public var version: Int
    public var cursors: [Int]
    public var lossSum: Double
    /// (local rows, dimension) per table.
    public var tables: [Tensor]
    public var dense: [Tensor]
    public var denseOptimizer: OptimizerState
    public var rowOptimizer: OptimizerState
}

extension Message {
    /// State transfers are exact whatever the gradient encoding.
    static let lossless = CodecOptions(encoding: .float32, shuffle: true, lz4: true)

    func encodeServerMessage(into h: inout ByteWriter) {
        switch self {
        case .serverJoin(let token, let endpoint):
            h.string(token); h.string(endpoint)
        case .serverWelcome(let w):
            h.u64(w.session); h.u32(UInt32(w.shard)); h.u32(UInt32(w.shardCount)); h.string(w.spec); h.u32(UInt32(w.partitionCount)); h.u32(UInt32(w.stepsPerEpoch))
            h.u32(UInt32(w.tableNames.count)); for n in w.tableNames { h.string(n) }
            Self.ints(w.tableRows, &h); Self.ints(w.tableDimensions, &h); for k in w.tableKinds { h.u8(k.rawValue) }
            h.u32(UInt32(w.denseNames.count)); for n in w.denseNames { h.string(n) }
            h.u32(UInt32(w.denseShapes.count)); for s in w.denseShapes { Self.ints(s, &h) }
            h.u8(w.codec.encoding.rawValue); h.u8(w.codec.shuffle ? 1 : 0); h.u8(w.codec.lz4 ? 1 : 0)
            h.u64(w.grantKey.k0); h.u64(w.grantKey.k1)
        case .shardState(let s):
            h.u32(UInt32(s.shard)); h.u64(UInt64(s.version)); Self.ints(s.cursors, &h); h.f64(s.lossSum)
            for list in [s.tables, s.dense] {
                h.u32(UInt32(list.count))
                for t in list { Self.ints(t.shape, &h); _ = TensorCodec.encode(t.data, options: Self.lossless, into: &h) }
            }
            for o in [s.denseOptimizer, s.rowOptimizer] {
                h.u64(UInt64(o.stepCount)); h.u32(UInt32(o.buffers.count))
                for key in o.buffers.keys.sorted() { h.string(key); _ = TensorCodec.encode(o.buffers[key]!, options: Self.lossless, into: &h) }
            }
        case .stateRequest:
            break
        default:
            preconditionFailure("\(kind) is not a server message")
        }
    }

    static func decodeServerMessage(_ kind: Kind, _ r: inout ByteReader, limits: WireLimits) throws -> Message {
        let n = limits.maxItems
        switch kind {
        case .serverJoin:
            return .serverJoin(token: try r.readString("serverJoin.token", maxBytes: 4096),
                               endpoint: try r.readString("serverJoin.endpoint", maxBytes: 4096))
        case .serverWelcome:
            let session = try r.u64("serverWelcome.session")
            let shard = Int(try r.u32("serverWelcome.shard")), count = Int(try r.u32("serverWelcome.shardCount"))
            let yaml = try r.readString("serverWelcome.spec", maxBytes: limits.maxStringBytes)
            let partitions = Int(try r.u32("serverWelcome.partitions"))
            let steps = Int(try r.u32("serverWelcome.stepsPerEpoch"))
            let tableNames = try strings("serverWelcome.tableNames", &r)
            let rows = try ints("serverWelcome.tableRows", &r, max: 64, valueMax: n)
            let dims = try ints("serverWelcome.tableDimensions", &r, max: 64, valueMax: 1 << 16)
            let kinds = try tableKinds("serverWelcome.tableKinds", &r, count: dims.count)
            let denseNames = try strings("serverWelcome.denseNames", &r)
            let shapeCount = try r.count("serverWelcome.denseShapes", max: 1024)
            let shapes = try (0..<shapeCount).map { try ints("serverWelcome.denseShapes[\($0)]", &r, max: 8, valueMax: n) }
            let enc = try r.u8("serverWelcome.codec.encoding")
            guard let encoding = ValueEncoding(rawValue: enc) else {
                throw WireError.outOfRange("serverWelcome.codec.encoding", what: "encoding", found: "\(enc)", allowed: "0...2")
            }
            let codec = CodecOptions(encoding: encoding, shuffle: try r.u8("serverWelcome.codec.shuffle") != 0, lz4: try r.u8("serverWelcome.codec.lz4") != 0)
            let grantKey = SipHash(k0: try r.u64("serverWelcome.grantKey"), k1: try r.u64("serverWelcome.grantKey"))
            guard count >= 1, shard < count, partitions >= 1, steps >= 1, partitions <= Int(UInt16.max) + 1, tableNames.count == rows.count,
                  rows.count == dims.count, denseNames.count == shapes.count else {
                throw WireError.mismatch("serverWelcome", expected: "consistent counts",
                                         found: "shard \(shard) of \(count), \(tableNames.count)/\(rows.count)/\(dims.count) tables, \(denseNames.count)/\(shapes.count) dense")
            }
            return .serverWelcome(ServerWelcome(session: session, shard: shard, shardCount: count, spec: yaml, partitionCount: partitions, stepsPerEpoch: steps,
                                                tableNames: tableNames, tableRows: rows, tableDimensions: dims,
                                                tableKinds: kinds, denseNames: denseNames, denseShapes: shapes, codec: codec, grantKey: grantKey))
        case .shardState:
            let shard = Int(try r.u32("shardState.shard")), version = Int(clamping: try r.u64("shardState.version"))
            guard shard < limits.shardCount else {
                throw WireError.outOfRange("shardState.shard", what: "shard", found: "\(shard)", allowed: "0..<\(limits.shardCount)")
            }
            let cursors = try ints("shardState.cursors", &r, max: limits.partitionCount, valueMax: n)
            let lossSum = try r.f64("shardState.lossSum")
            // Every shape is the one this shard holds in this run, checked before its values are read.
            let expected = [shardTableShapes(limits, shard: shard), shard == 0 ? limits.denseShapes : []]
            var lists: [[Tensor]] = []
            for (field, shapes) in zip(["shardState.tables", "shardState.dense"], expected) {
                let count = try r.count(field, max: shapes.count)
                guard count == shapes.count else { throw WireError.mismatch(field, expected: "\(shapes.count) tensors", found: "\(count)") }
                lists.append(try shapes.enumerated().map { k, want in
                    let shape = try ints("\(field)[\(k)].shape", &r, max: 8, valueMax: n)
                    guard shape == want else { throw WireError.mismatch("\(field)[\(k)].shape", expected: "\(want)", found: "\(shape)") }
                    return Tensor(shape: shape, data: try TensorCodec.decode(from: &r, field: "\(field)[\(k)]", count: .exactly(want.reduce(1, *))))
                })
            }
            // Optimizer buffers (two moments at most per tensor) are no larger than the largest tensor.
            let largest = limits.largestShardTensor(shard: shard), tensorCount = expected.reduce(0) { $0 + $1.count }
            var optimizers: [OptimizerState] = []
            for field in ["shardState.denseOptimizer", "shardState.rowOptimizer"] {
                let steps = Int(clamping: try r.u64("\(field).stepCount"))
                let count = try r.count("\(field).buffers", max: 2 * tensorCount)
                var buffers: [String: [Float]] = [:]
                for k in 0..<count {
                    let key = try r.readString("\(field).buffers[\(k)].name", maxBytes: 4096)
                    buffers[key] = try TensorCodec.decode(from: &r, field: "\(field).buffers[\(key)]", count: .atMost(largest))
                }
                optimizers.append(OptimizerState(stepCount: steps, buffers: buffers))
            }
            return .shardState(ShardState(shard: shard, version: version, cursors: cursors, lossSum: lossSum, tables: lists[0], dense: lists[1],
                                          denseOptimizer: optimizers[0], rowOptimizer: optimizers[1]))
        case .stateRequest:
            return .stateRequest
        default:
            preconditionFailure("\(kind) is not a server message")
        }
    }

    /// (rows on `shard`, width) of every table.
    static func shardTableShapes(_ limits: WireLimits, shard: Int) -> [[Int]] {
        let sharding = ServerSharding(count: max(limits.shardCount, 1))
        return zip(limits.tableRows, limits.tableDimensions).map { [sharding.rowCount($0.0, shard: shard), $0.1] }
    }

    static func strings(_ field: String, _ r: inout ByteReader) throws -> [String] {
        let count = try r.count(field, max: 1024)
        return try (0..<count).map { try r.readString("\(field)[\($0)]", maxBytes: 4096) }
    }
}
