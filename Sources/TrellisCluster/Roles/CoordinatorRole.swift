import Logging
import TrellisCore
import TrellisTraining
import TrellisWire

/// The coordinator's logic as a state machine: an event goes in (a message from a peer, a
/// tick of the clock, a checkpoint written) with the time, directives come out (send this,
/// write a checkpoint, an epoch ended). No sockets, threads, files or clocks: `CoordinatorNode`
/// is the shell that carries directives out, so failure schedules are tested with a fake
/// clock and no network (swift-cluster-membership's shape).
///
///     event ──▶ handle(_:now:) ──▶ [Directive] ──▶ shell: send over ZeroMQ, write the
///                  │                                 checkpoint (then .checkpointSaved)
///                  └─ TrainingRun: parameter server, position, evaluation (pure compute)
public final class CoordinatorRole {
    public struct Settings {
        /// Workers to wait for before the first step.
        public var workers = 1
        public var token = ""
        /// Parameter-server processes to wait for; 0 hosts the parameter server here.
        public var servers = 0
        /// Whether the shell writes checkpoints (the run pauses for each).
        public var checkpoints = false
        public var codec = CodecOptions.default
        /// Keys the grants of tasks (see `Message`); new for every coordinator process.
        public var grantKey = SipHash.randomKey()
        /// Test the starting weights once on the workers and finish without training
        /// (`bench-eval --mode workers`).
        public var evaluateOnly = false
        public init() {}
    }

    public enum Event {
        case message(Message, from: [UInt8])
        /// The clock moved: failure detection, expiry, handing out tasks.
        case tick
        /// The shell wrote the checkpoint it was asked for.
        case checkpointSaved
    }

    public enum Directive {
        case send(Message, to: [UInt8])
        /// Send the worker of `session` its partitions' data (`TrainingPlan.assignment`: built
        /// from the graph held here, or read from the partitioned folder).
        case assign(partitions: [Int], session: UInt64, to: [UInt8])
        /// Write the run's state now; answer with `.checkpointSaved` (the run waits for it).
        case saveCheckpoint
        /// An epoch ended (evaluated when due), with its throughput figures.
        case epochEnded(EpochRecord, seconds: Double, stats: EpochStats)
        /// A worker joined (detail: its name) or was lost (its name and why): for the timeline.
        case membership(joined: Bool, detail: String)
        /// An evaluation round on the workers started, or ended after `seconds`.
        case evaluationStarted(EvaluationPart)
        case evaluationEnded(EvaluationPart, seconds: Double)
    }

    struct Worker {
        var session: UInt64
        var rank: Int
        var name: String
        var envelope: [UInt8]
        /// The socket its heartbeats come from: the first that beat for the session. Only
        /// the joining socket and this one count as signs of life.
        var heartbeatEnvelope: [UInt8]?
        var partitions: [Int] = []
        var lastSeen: Double
        /// A task request held until one of its partitions may run.
        var waiting = false
        /// When the task it is computing was handed out, or last showed progress (nil when it
        /// holds none): what the task timeout measures.
        var taskSince: Double?
        /// The work count of its last heartbeat (`WorkProgress`).
        var progress: UInt64 = 0
        /// The task it holds: the only push it may make.
        var task: (partition: Int, globalStep: Int)?
    }

    /// A sampling request forwarded to the worker that owns its nodes.
    struct PendingSample {
        var requester: [UInt8]
        /// As the requester sent it (its own request id).
        var request: SampleRequest
        /// The session it was forwarded to: only its answer is taken.
        var owner: UInt64
        var since: Double
    }

    /// Why the run stopped handing out tasks, and what comes after.
    enum Pause {
        /// Gathering the server processes' state (asked once no task is out) before `then`.
        case gathering(then: Milestone, requested: Bool)
        /// Waiting for the shell to write a checkpoint; `resume` continues the steps.
        case checkpointing(resume: Bool)
    }

    /// What the run pauses for.
    enum Milestone { case checkpoint, epochEnd }

    /// Sampling requests one session may have open (forwarded or held) at once.
    static let samplesPerSession = 256
    /// A gap between events longer than this is the coordinator's own stall, not its peers' silence.
    static let stallAllowance = 0.25

    public let run: TrainingRun
    let settings: Settings
    var logger: Logger
    var workers: [UInt64: Worker] = [:]
    var nextRank = 0
    var owners: [UInt64?]
    var orphanedAt: [Int: Double] = [:]
    var started = false
    var finishedSent = Set<UInt64>()
    var finishedAt: Double?
    var pendingSamples: [UInt64: PendingSample] = [:]
    /// Requests for partitions that have no owner now, with their requester and arrival.
    var heldSamples: [SampleRequest: (requester: [UInt8], since: Double)] = [:]
    var nextSampleID: UInt64 = 1
    /// When the last event came (see `forgiveStall`).
    var lastEvent: Double?
    /// Frames refused undecoded, for rate-limited logging.
    var refusals = 0
    var epochStart = 0.0
    var epochStats = EpochStats()
    /// Parameter-server processes by shard (empty without them).
    var servers: [ServerPeer?]
    var gathered: [Int: ShardState] = [:]
    var pause: Pause?
    /// The evaluation on the workers in progress, if any, and the next round's number.
    var evaluation: EvaluationRound?
    var nextRound: UInt64 = 1
    /// The final test's metrics of the best weights, once the workers computed them.
    public internal(set) var testMetrics: [String: Double]?
    /// Directives of the event being handled.
    var outbox: [Directive] = []

    public init(run: TrainingRun, settings: Settings, logger: Logger = Logger(label: "trellis.coordinator")) throws {
        self.run = run
        self.settings = settings
        self.logger = logger
        owners = Array(repeating: nil, count: run.config.cluster.partitions)
        servers = Array(repeating: nil, count: settings.servers)
        if settings.servers > 1, run.config.training.clipGradNorm != nil {
            throw PlanError("training.clip_grad_norm needs the whole gradient in one place: use one parameter server, not \(settings.servers)")
        }
        run.server.ledgerOnly = settings.servers > 0
    }

    var config: TrainingConfig { run.config }
    /// No training is left: the run finished, or it only evaluates.
    var runOver: Bool { run.finished || settings.evaluateOnly }
    var cluster: ClusterSettings { run.config.cluster }

    /// True once the run is over and every live worker has been told (or 3 s have passed).
    public var isDone: Bool { done }
    /// Workers holding a session now.
    public var memberCount: Int { workers.count }
    private var done = false

    // MARK: Events

    /// Handles one event at time `now` (seconds, any origin); returns what the shell must do.
    /// Throws when the run cannot go on (a parameter-server shard went silent).
    public func handle(_ event: Event, now: Double) throws -> [Directive] {
        outbox = []
        forgiveStall(now: now)
        switch event {
        case .message(let message, let envelope):
            try receive(message, from: envelope, now: now)
        case .tick:
            try tick(now: now)
        case .checkpointSaved:
            guard case .checkpointing(let resume) = pause else { break }
            pause = nil
            epochStart = now
            if resume { try advance(now: now) }
        }
        defer { outbox = [] }
        return outbox
    }

    func send(_ message: Message, to envelope: [UInt8]) {
        outbox.append(.send(message, to: envelope))
    }

    func tick(now: Double) throws {
        detectFailures(now: now)
        expireSamples(now: now)
        try checkServers(now: now)
        progressGather()
        dispatch(now: now)
        guard runOver else { return }
        guard testMetrics != nil else {
            if started, evaluation == nil, pause == nil {
                startEvaluation(.test, purpose: .finalTest, now: now)
                dispatchEvaluation(now: now)
            }
            return
        }
        if finishedAt == nil {
            finishedAt = now
            tellServersFinished()
        }
        // Workers that miss the word give up on their own.
        if Set(workers.keys).isSubset(of: finishedSent) || now - finishedAt! > 3 { done = true }
    }

    /// Time in which no event came (a SIGSTOP, a long evaluation or checkpoint) is the
    /// coordinator's own stall, not its peers' silence: every clock that measures them moves
    /// forward by it.
    func forgiveStall(now: Double) {
        defer { lastEvent = now }
        guard let last = lastEvent, now - last > Self.stallAllowance else { return }
        let gap = now - last
        logger.info("the coordinator's loop stalled; not counted against its peers", metadata: ["seconds": "\(gap)"])
        for (session, w) in workers {
            workers[session]!.lastSeen = min(now, w.lastSeen + gap)
            workers[session]!.taskSince = w.taskSince.map { min(now, $0 + gap) }
        }
        for k in servers.indices where servers[k] != nil { servers[k]!.lastSeen = min(now, servers[k]!.lastSeen + gap) }
        orphanedAt = orphanedAt.mapValues { min(now, $0 + gap) }
        for id in pendingSamples.keys { pendingSamples[id]!.since = min(now, pendingSamples[id]!.since + gap) }
        for r in heldSamples.keys { heldSamples[r]!.since = min(now, heldSamples[r]!.since + gap) }
        if let f = finishedAt { finishedAt = min(now, f + gap) }
    }

    /// The run cannot go on: tell every worker and server process why, so none waits for a
    /// coordinator that is gone.
    public func stop(because error: Error) -> [Directive] {
        let reason = Message.stopped(String("\(error)".prefix(1000)))
        return workers.values.map { .send(reason, to: $0.envelope) } + servers.compactMap { $0.map { .send(reason, to: $0.envelope) } }
    }

    /// The grant of task (partition, global step) for `session`.
    func grant(session: UInt64, partition: Int, globalStep: Int) -> Grant {
        Grant(key: settings.grantKey, session: session, partition: partition, globalStep: globalStep, reductions: run.reductions)
    }
}
