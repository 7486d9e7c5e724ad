import Logging
import TrellisCore
import TrellisGraph
import TrellisWire

/// A worker's decisions as a state machine (see `CoordinatorRole`): joining and giving up,
/// asking for tasks, handing a task to the shell to compute and reporting it, answering
/// other workers' sampling requests, taking new assignments, and when to start over. The
/// shell (`WorkerNode`) holds the sockets, the threads and the model; computing a step (sample,
/// pull, forward, backward, push to the shards) is one directive it carries out.
///
///     joining ─welcome─▶ welcomed ─assignment─▶ idle ─taskRequest─▶ awaitingTask
///        ▲                                        ▲                    │ task
///        │ (a new role)                           │ ack                ▼
///     rejoin: error, unknown session,          reporting ◀─computed── computing
///     silent coordinator                          ▲                   (awaitingTask)
///                                                 │                    │ layerTask | scoreTask
///                                                 └────evaluated───── evaluating
///                                                                      finished ◀─ finished
public final class WorkerRole {
    public struct Settings {
        public var token: String
        public var name: String
        /// Give up joining, or start over, after this long without the coordinator.
        public var joinTimeoutSeconds: Double = 60
        public init(token: String, name: String) {
            self.token = token
            self.name = name
        }
    }

    /// What the heartbeat thread has heard (it beats on a socket of its own).
    public struct Pulse: Equatable {
        public var silentSeconds: Double
        public var rejected: Bool
        public init(silentSeconds: Double = 0, rejected: Bool = false) {
            self.silentSeconds = silentSeconds
            self.rejected = rejected
        }
    }

    public enum Event {
        case fromCoordinator(Message)
        /// The shell computed the task it was given: `report` is what the coordinator keeps
        /// its books with (see `ParameterClient.push`).
        case computed(report: Contribution, globalStep: Int, grant: Grant, timings: [Float])
        /// The shell did the evaluation task it was given: `report` is its `layerDone` or
        /// `evaluationSums`.
        case evaluated(report: Message)
        case tick(Pulse)
    }

    public enum Directive: Equatable {
        case toCoordinator(Message)
        /// Take the run spec, open the heartbeat and the shards' links.
        case accept(Welcome)
        /// Hold these partitions: their adjacency, links and sampler.
        case assign(Assignment)
        /// Compute (partition, step); answer with `.computed`.
        case compute(partition: Int, step: StepID, grant: Grant)
        /// Compute a layer of a partition's nodes into the coordinator's activation store;
        /// answer with `.evaluated(layerDone)`.
        case computeLayer(EvaluationTask)
        /// Score a partition's users from the final outputs; answer with `.evaluated(evaluationSums)`.
        case score(EvaluationTask)
        /// Sample these nodes' neighbours and answer the requester (or refuse).
        case serve(SampleRequest)
        /// The run is over.
        case finished
    }

    enum Phase: Equatable {
        case joining(lastTry: Double)
        case welcomed
        case idle
        case awaitingTask
        case computing(globalStep: Int)
        case evaluating(round: UInt64)
        case reporting
        case finished
    }

    let settings: Settings
    var logger: Logger
    var phase = Phase.joining(lastTry: -.infinity)
    public private(set) var session: UInt64 = 0
    var welcome: Welcome?
    /// When joining began (the join timeout counts from it).
    var joinStart: Double?
    var outbox: [Directive] = []

    public init(settings: Settings, logger: Logger = Logger(label: "trellis.worker")) {
        self.settings = settings
        self.logger = logger
    }

    public var isFinished: Bool { phase == .finished }

    /// Handles one event at time `now`. Throws `WorkerError`: `.refused` and
    /// `.coordinatorLost` end the worker, `.rejoin` starts it over with a new role.
    public func handle(_ event: Event, now: Double) throws -> [Directive] {
        outbox = []
        defer { outbox = [] }
        if joinStart == nil { joinStart = now }
        switch event {
        case .tick(let pulse):
            try tick(pulse, now: now)
        case .fromCoordinator(let message):
            try receive(message)
        case .computed(let report, let global, let grant, let timings):
            guard case .computing(global) = phase else { break }
            outbox.append(.toCoordinator(.push(session: session, globalStep: global, contribution: report, timings: timings, grant: grant)))
            phase = .reporting
        case .evaluated(let report):
            guard case .evaluating = phase else { break }
            outbox.append(.toCoordinator(report))
            phase = .reporting
        }
        return outbox
    }

    func tick(_ pulse: Pulse, now: Double) throws {
        switch phase {
        case .joining(let lastTry):
            guard now - joinStart! < settings.joinTimeoutSeconds else {
                throw WorkerError.coordinatorLost("no welcome within \(settings.joinTimeoutSeconds) s")
            }
            if now - lastTry > 2 {
                outbox.append(.toCoordinator(.join(token: settings.token, name: settings.name)))
                phase = .joining(lastTry: now)
            }
        case .finished:
            break
        default:
            if pulse.rejected { throw WorkerError.rejoin("the coordinator does not know this session (restarted?)") }
            if pulse.silentSeconds > settings.joinTimeoutSeconds { throw WorkerError.rejoin("coordinator silent for \(Int(pulse.silentSeconds)) s") }
        }
    }

    func receive(_ message: Message) throws {
        switch (phase, message) {
        case (.joining, .welcome(let w)):
            welcome = w
            session = w.session
            phase = .welcomed
            outbox.append(.accept(w))
        case (.joining, .error(let text)), (.welcomed, .error(let text)):
            throw WorkerError.refused(text)
        case (.joining, _):
            logger.debug("ignored while joining", metadata: ["kind": "\(message.kind)"])
        case (.welcomed, .assignment(let a)):
            outbox.append(.assign(a))
            requestTask()
        case (.awaitingTask, .task(_, let p, let epoch, let step, let grant)):
            let id = StepID(epoch: epoch, step: step)
            phase = .computing(globalStep: id.global(stepsPerEpoch: welcome!.stepsPerEpoch))
            outbox.append(.compute(partition: p, step: id, grant: grant))
        case (.awaitingTask, .layerTask(let t)):
            phase = .evaluating(round: t.round)
            outbox.append(.computeLayer(t))
        case (.awaitingTask, .scoreTask(let t)):
            phase = .evaluating(round: t.round)
            outbox.append(.score(t))
        case (.awaitingTask, .finished):
            phase = .finished
            outbox.append(.finished)
        case (.reporting, .ack):
            requestTask()
        case (_, .stopped(let reason)):
            throw WorkerError.stopped(reason)
        case (_, .sampleRequest(let r)):
            outbox.append(.serve(r))
        case (_, .assignment(let a)):
            outbox.append(.assign(a))
        case (_, .error(let text)):
            throw WorkerError.rejoin(text)
        default:
            logger.debug("ignored", metadata: ["kind": "\(message.kind)"])
        }
    }

    func requestTask() {
        phase = .awaitingTask
        outbox.append(.toCoordinator(.taskRequest(session: session)))
    }
}
