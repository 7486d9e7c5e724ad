import Foundation
import Logging
import TrellisCore
import TrellisTransport
import TrellisWire

/// Sends `heartbeat(session, progress)` every interval from its own thread and socket (ZeroMQ
/// sockets are single-threaded), so a worker busy computing still shows it is alive, and
/// that a long task (an evaluation) is moving. The coordinator
/// answers each one; `silentSeconds` says how long since the last answer.
final class Heartbeat: @unchecked Sendable {
    /// Shared between the worker's thread and the heartbeat thread, behind a lock.
    final class State: @unchecked Sendable {
        private let lock = NSLock()
        private var stopped = false
        private var lastAnswer = ResourceUsage.now()
        private var rejected = false
        var isStopped: Bool { lock.lock(); defer { lock.unlock() }; return stopped }
        func answered() { lock.lock(); lastAnswer = ResourceUsage.now(); lock.unlock() }
        var silentSeconds: Double { lock.lock(); defer { lock.unlock() }; return ResourceUsage.now() - lastAnswer }
        func stop() { lock.lock(); stopped = true; lock.unlock() }
        /// The coordinator no longer knows this session (it restarted): the worker must re-join.
        func reject() { lock.lock(); rejected = true; lock.unlock() }
        var isRejected: Bool { lock.lock(); defer { lock.unlock() }; return rejected }
    }

    private let state = State()

    init(endpoint: String, session: UInt64, intervalMilliseconds: Int, security: SocketSecurity, logger: Logger) throws {
        let socket = try ZMQSocket(.dealer)
        try security.apply(to: socket)  // the coordinator's ROUTER takes CURVE or plaintext, not both
        try socket.connect(endpoint)
        let state = self.state
        let thread = Thread {
            while !state.isStopped {
                let beat = Message.heartbeat(session: session, progress: WorkProgress.count).frame().frame.encode()
                _ = try? socket.send(parts: [beat], dontWait: true)
                let deadline = ResourceUsage.now() + Double(intervalMilliseconds) / 1000
                while ResourceUsage.now() < deadline, !state.isStopped {
                    guard let reply = try? socket.receive(timeoutMilliseconds: 20), let bytes = reply.last else { continue }
                    state.answered()
                    if let frame = try? Frame.decode(bytes, maxBodyBytes: 1 << 16), frame.kind == Message.Kind.error.rawValue {
                        state.reject()
                    }
                }
            }
            socket.close()
        }
        thread.start()
    }

    var silentSeconds: Double { state.silentSeconds }
    var sessionRejected: Bool { state.isRejected }
    func stop() { state.stop() }
}
