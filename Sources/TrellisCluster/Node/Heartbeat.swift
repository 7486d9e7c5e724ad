import Foundation
import Logging
import TrellisCore
import TrellisTransport

/// Sends `heartbeat(session)` every interval from its own thread and socket (ZeroMQ sockets
/// are single-threaded), so a worker busy computing still shows it is alive. The coordinator
/// answers each one; `silentSeconds` says how long since the last answer.
final class Heartbeat: @unchecked Sendable {
    /// Shared between the worker's thread and the heartbeat thread, behind a lock.
    final class State: @unchecked Sendable {
        private let lock = NSLock()
        private var stopped = false
        private var lastAnswer = ResourceUsage.now()
        var isStopped: Bool { lock.lock(); defer { lock.unlock() }; return stopped }
        func answered() { lock.lock(); lastAnswer = ResourceUsage.now(); lock.unlock() }
        var silentSeconds: Double { lock.lock(); defer { lock.unlock() }; return ResourceUsage.now() - lastAnswer }
        func stop() { lock.lock(); stopped = true; lock.unlock() }
    }

    private let state = State()

    init(endpoint: String, session: UInt64, intervalMilliseconds: Int, logger: Logger) throws {
        let socket = try ZMQSocket(.dealer)
        try socket.connect(endpoint)
        let beat = Message.heartbeat(session: session).frame().frame.encode()
        let state = self.state
        let thread = Thread {
            while !state.isStopped {
                _ = try? socket.send(parts: [beat], dontWait: true)
                let deadline = ResourceUsage.now() + Double(intervalMilliseconds) / 1000
                while ResourceUsage.now() < deadline, !state.isStopped {
                    if let reply = try? socket.receive(timeoutMilliseconds: 20), reply != nil { state.answered() }
                }
            }
            socket.close()
        }
        thread.start()
    }

    var silentSeconds: Double { state.silentSeconds }
    func stop() { state.stop() }
}
