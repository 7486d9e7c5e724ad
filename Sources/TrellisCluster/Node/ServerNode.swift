import Foundation
import Logging
import TrellisCore
import TrellisTensor
import TrellisTraining
import TrellisTransport
import TrellisWire

/// `trellis server start`: one shard of the parameter server in a process of its own; the
/// shell around `ServerRole`. It joins the coordinator (which gives it a shard index and the
/// shard's state), then serves workers' pulls and pushes for the rows it holds (row r on shard
/// r % count; dense weights on shard 0), applying the optimizer exactly as the in-process
/// server does. Before a checkpoint or an evaluation the coordinator asks for the state back.
///
/// One thread owns both sockets: a DEALER to the coordinator (control, heartbeats) and a
/// ROUTER that workers connect to.
public final class ServerNode {
    public struct Settings {
        public var coordinator: String
        /// Where workers connect: bound here, advertised to workers as `advertise`.
        public var listen: String
        public var advertise: String?
        public var token: String
        /// Toward the coordinator (`.curveClient`), and toward workers (`.curveServer`).
        public var coordinatorSecurity: SocketSecurity = .none
        public var workerSecurity: SocketSecurity = .none
        public var joinTimeoutSeconds: Double = 60
        public init(coordinator: String, listen: String, token: String) {
            self.coordinator = coordinator
            self.listen = listen
            self.token = token
        }
    }

    let settings: Settings
    var logger: Logger
    var control: Link!
    var peers: Link!
    /// Called once the shard holds its state (tests and the CLI print it).
    public var onReady: ((ServerWelcome) -> Void)?

    public init(settings: Settings, logger: Logger = Logger(label: "trellis.server")) {
        self.settings = settings
        self.logger = logger
    }

    /// Serves until the coordinator says the run is finished.
    public func run() throws {
        MemoryTuning.keepFreedBuffersInOneArena()
        BLAS.setThreadCount(1)
        let router = try ZMQSocket(.router)
        try settings.workerSecurity.apply(to: router)
        try router.bind(settings.listen)
        let bound = try router.lastEndpoint
        var roleSettings = ServerRole.Settings(token: settings.token,
                                               endpoint: settings.advertise ?? bound.replacingOccurrences(of: "0.0.0.0", with: "127.0.0.1"))
        roleSettings.joinTimeoutSeconds = settings.joinTimeoutSeconds
        let role = ServerRole(settings: roleSettings, logger: logger)
        peers = try Link(socket: router, limits: WireLimits(), codec: .default, logger: logger)
        peers.admit = { [unowned role] in role.admission($0) }
        let dealer = try ZMQSocket(.dealer)
        try dealer.setReconnectInterval(milliseconds: 100, maxMilliseconds: 1000)
        try settings.coordinatorSecurity.apply(to: dealer)
        try dealer.connect(settings.coordinator)
        control = try Link(socket: dealer, limits: WireLimits(), codec: .default, logger: logger)
        defer { router.close(); dealer.close() }
        logger.info("listening for workers", metadata: ["endpoint": "\(roleSettings.endpoint)", "coordinator": "\(settings.coordinator)"])

        while true {
            if try carryOut(role.handle(.tick, now: ResourceUsage.now())) { return }
            let ready = try Poller.wait(on: [dealer, router], timeoutMilliseconds: 100)
            if ready.contains(0) {
                while let (message, _) = try control.receive(timeoutMilliseconds: 0) {
                    if try carryOut(role.handle(.fromCoordinator(message), now: ResourceUsage.now())) { return }
                }
            }
            if ready.contains(1) {
                while let (message, envelope) = try peers.receive(timeoutMilliseconds: 0) {
                    _ = try carryOut(role.handle(.fromWorker(message, envelope: envelope ?? []), now: ResourceUsage.now()))
                }
            }
        }
    }

    /// Does what the role said; returns true when the run is over.
    func carryOut(_ directives: [ServerRole.Directive]) throws -> Bool {
        var finished = false
        for d in directives {
            switch d {
            case .toCoordinator(let m): try control.send(m)
            case .toWorker(let m, let envelope): try peers.send(m, to: envelope)
            case .limits(let workers, let coordinator, let codec):
                peers.limits = workers
                peers.codec = codec
                control.limits = coordinator
            case .ready(let w): onReady?(w)
            case .finished: finished = true
            }
        }
        return finished
    }
}
