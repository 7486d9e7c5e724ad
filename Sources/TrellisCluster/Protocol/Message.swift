import TrellisEval
import TrellisGraph
import TrellisTensor
import TrellisWire

/// Everything coordinator and workers say to each other. Each message is one `Frame`
/// (versioned, length-prefixed, CRC-checked); bulk floats travel as LZ4 blocks, sparse rows
/// as delta-coded ids plus byte-shuffled values.
///
///     worker                         coordinator
///       join(token) ───────────────▶  checks the token
///                   ◀─────────────── welcome(session, run spec) + assignment(shards)
///       taskRequest ───────────────▶  held until one of its partitions may run
///                   ◀─────────────── task(partition, epoch, step, grant) | finished
///       sampleRequest(owner) ──────▶  checked, forwarded to the owner's worker, whose reply
///                   ◀─────────────── (or refusal) comes back; unanswered ones expire
///       pull(rows per table) ──────▶
///                   ◀─────────────── rows + dense weights
///       push(contribution, grant) ─▶  parameter server (only the task handed out)
///                   ◀─────────────── ack
///       heartbeat (own socket) ────▶  liveness (from the first socket that beat for the session),
///                                     and progress through a long task
///       layerTask, scoreTask, activation pulls and pushes, metric sums: evaluation rounds
///       (see `EvaluationTask`)
///
/// The grant is a keyed tag (SipHash) of (session, partition, global step) that only the
/// coordinator and the parameter-server processes can compute: a shard takes a push only for
/// a task the coordinator handed to that session.
public enum Message: Equatable {
    case join(token: String, name: String)
    case welcome(Welcome)
    case assignment(Assignment)
    case taskRequest(session: UInt64)
    case task(session: UInt64, partition: Int, epoch: Int, step: Int, grant: Grant)
    case finished
    case pull(session: UInt64, partition: Int, globalStep: Int, ids: [[Int32]])
    case rows(rows: [Tensor], dense: [Tensor])
    /// `timings`: the worker's seconds spent sampling, pulling, computing and pushing since its last push.
    case push(session: UInt64, globalStep: Int, contribution: Contribution, timings: [Float], grant: Grant)
    case ack(applied: Bool)
    case sampleRequest(SampleRequest)
    case sampleReply(session: UInt64, requestID: UInt64, sample: SampledNeighbours)
    /// A sampling request that cannot be answered (owner refused, or no answer in time).
    case sampleRefused(session: UInt64, requestID: UInt64, reason: String)
    /// The coordinator stopped the run (it diverged, a shard was lost): every process exits
    /// with the reason instead of waiting for a coordinator that is gone.
    case stopped(String)
    /// `progress`: pieces of long work the sender has finished (`WorkProgress`); a task holder
    /// whose count moves is working, not hung.
    case heartbeat(session: UInt64, progress: UInt64)
    case error(String)
    // Parameter-server processes (`trellis server start`); see `ServerWelcome`.
    case serverJoin(token: String, endpoint: String)
    case serverWelcome(ServerWelcome)
    case shardState(ShardState)
    case stateRequest
    // Evaluation rounds on the workers; see `EvaluationTask`.
    case layerTask(EvaluationTask)
    case scoreTask(EvaluationTask)
    case activationPull(session: UInt64, round: UInt64, layer: Int, type: Int, ids: [Int32])
    /// (ids.count, d_layer): the rows of an `activationPull`.
    case activationRows(Tensor)
    /// `rows` (ids.count, d_layer) of `layer` for nodes `ids` of `type`.
    case activationPush(session: UInt64, round: UInt64, layer: Int, type: Int, ids: [Int32], rows: Tensor)
    case layerDone(session: UInt64, round: UInt64, partition: Int)
    case evaluationSums(session: UInt64, round: UInt64, partition: Int, sums: EvaluationSums)

    /// Raw kinds on the wire.
    public enum Kind: UInt16, CaseIterable {
        case join = 1, welcome, assignment, taskRequest, task, finished, pull, rows, push, ack
        case sampleRequest, sampleReply, heartbeat, error
        case serverJoin, serverWelcome, shardState, stateRequest
        case sampleRefused, stopped
        case layerTask, scoreTask, activationPull, activationRows, activationPush, layerDone, evaluationSums
    }

    public var kind: Kind {
        switch self {
        case .join: return .join
        case .welcome: return .welcome
        case .assignment: return .assignment
        case .taskRequest: return .taskRequest
        case .task: return .task
        case .finished: return .finished
        case .pull: return .pull
        case .rows: return .rows
        case .push: return .push
        case .ack: return .ack
        case .sampleRequest: return .sampleRequest
        case .sampleReply: return .sampleReply
        case .heartbeat: return .heartbeat
        case .error: return .error
        case .serverJoin: return .serverJoin
        case .serverWelcome: return .serverWelcome
        case .shardState: return .shardState
        case .stateRequest: return .stateRequest
        case .sampleRefused: return .sampleRefused
        case .stopped: return .stopped
        case .layerTask: return .layerTask
        case .scoreTask: return .scoreTask
        case .activationPull: return .activationPull
        case .activationRows: return .activationRows
        case .activationPush: return .activationPush
        case .layerDone: return .layerDone
        case .evaluationSums: return .evaluationSums
        }
    }

    /// The session a worker message claims (nil for join and coordinator messages).
    public var session: UInt64? {
        switch self {
        case .taskRequest(let s), .task(let s, _, _, _, _), .pull(let s, _, _, _), .push(let s, _, _, _, _),
             .sampleReply(let s, _, _), .sampleRefused(let s, _, _), .heartbeat(let s, _),
             .activationPull(let s, _, _, _, _), .activationPush(let s, _, _, _, _, _), .layerDone(let s, _, _),
             .evaluationSums(let s, _, _, _):
            return s
        case .layerTask(let t), .scoreTask(let t): return t.session
        case .sampleRequest(let r): return r.session
        default: return nil
        }
    }

    /// The session a frame of `kind` claims, read without decoding the rest: every message
    /// that names a session names it in its first eight bytes.
    public static func peekSession(kind: Kind, header: ByteReader) -> UInt64? {
        switch kind {
        case .taskRequest, .task, .pull, .push, .sampleRequest, .sampleReply, .sampleRefused, .heartbeat,
             .layerTask, .scoreTask, .activationPull, .activationPush, .layerDone, .evaluationSums:
            var r = header
            return try? r.u64("session")
        default:
            return nil
        }
    }
}

/// The run spec a worker needs: enough to build the model, the sampler and the batches
/// without the dataset.
public struct Welcome: Equatable {
    public var session: UInt64
    public var rank: Int
    /// The run spec: the coordinator's config with its overrides (`TrainingConfig.spec`),
    /// parsed once by the worker and used as it is.
    public var spec: String
    public var stepsPerEpoch: Int
    /// Training examples per partition, as the task counts them (links; a sequence task's
    /// windows): what the loss of a global step is normalised by.
    public var exampleCounts: [Int]
    /// The graph's node types, relations and feature tables: all a worker needs to know of
    /// the data to build its sampler and model.
    public var schema: GraphSchema
    public var nodeCounts: [Int] { schema.nodeCounts }
    /// Owner of every node, per type.
    public var owners: [[UInt16]]
    public var tableRows: [Int]
    public var tableDimensions: [Int]
    /// Per table: trainable (the node types' embeddings) or frozen (`schema.features`).
    public var tableKinds: [TableKind]
    public var codec: CodecOptions
    /// Endpoints of the parameter-server processes, by shard; empty when the coordinator
    /// hosts the parameter server.
    public var servers: [String] = []
    /// The mean training rating and the scale predictions are clipped to (rating task).
    public var ratingMean: Float = 0
    public var ratingScale: ClosedRange<Float>?
}

/// The partitions a worker now owns, with their adjacency and training links.
public struct Assignment: Equatable {
    public var session: UInt64
    public var partitions: [Int]
    /// Per relation: owned targets, offsets, sources (see `GraphShard`).
    public var targets: [[Int32]]
    public var offsets: [[Int]]
    public var sources: [[Int32]]
    /// Per relation: its edges' attribute values in `sources` order (the schema's attribute
    /// count per edge; empty for a relation without attributes).
    public var values: [[Float]] = []
    /// Per owned partition (same order as `partitions`): users and items of its links.
    public var linkUsers: [[Int32]]
    public var linkItems: [[Int32]]
    /// Per owned partition: the links' ratings, in the same order (empty when the task needs none).
    public var linkRatings: [[Float]] = []
    /// Per owned partition: its users' validation and test links, for evaluating them.
    public var validLinks: [RatedPairs] = []
    public var testLinks: [RatedPairs] = []
}

/// "Sample these nodes' neighbours", sent by a worker to the owner of the nodes, through the
/// coordinator (which knows who owns what now).
public struct SampleRequest: Hashable {
    public var session: UInt64
    public var requestID: UInt64
    public var owner: Int
    public var relation: Int
    public var fanout: Int
    public var tag: SampleTag
    public var nodes: [Int32]
}
