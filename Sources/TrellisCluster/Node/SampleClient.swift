import Foundation
import Logging
import TrellisCore
import TrellisGraph
import TrellisTransport

/// Asks the owners of remote nodes for their neighbour samples, through the coordinator, over
/// a socket of its own, so the worker's prefetch thread can sample while the main thread
/// computes. Used by one thread at a time (whichever samples); that thread opens the socket
/// on first use and closes it with `close()`.
final class SampleClient: @unchecked Sendable {
    let endpoint: String
    let session: UInt64
    let limits: WireLimits
    let giveUpSeconds: Double
    let logger: Logger
    let security: SocketSecurity
    /// Called while waiting for a reply. When the main thread samples (prefetch off) it must
    /// keep answering other workers meanwhile, or two workers waiting on each other would
    /// deadlock.
    var whileWaiting: (() throws -> Void)?
    private var link: Link?
    private var nextID: UInt64 = 1

    init(endpoint: String, session: UInt64, limits: WireLimits, giveUpSeconds: Double, security: SocketSecurity, logger: Logger) {
        self.security = security
        self.endpoint = endpoint
        self.session = session
        self.limits = limits
        self.giveUpSeconds = giveUpSeconds
        self.logger = logger
    }

    func sample(owner: Int, relation: Int, nodes: [Int32], fanout: Int, tag: SampleTag) throws -> SampledNeighbours {
        let link = try self.link ?? open()
        let id = nextID
        nextID += 1
        try link.send(.sampleRequest(SampleRequest(session: session, requestID: id, owner: owner, relation: relation,
                                                   fanout: fanout, tag: tag, nodes: nodes)))
        let deadline = ResourceUsage.now() + giveUpSeconds
        while ResourceUsage.now() < deadline {
            try whileWaiting?()
            guard let (message, _) = try link.receive(timeoutMilliseconds: whileWaiting == nil ? 100 : 1) else { continue }
            switch message {
            case .sampleReply(_, let rid, let sample) where rid == id:
                guard sample.counts.count == nodes.count else { throw WorkerError.rejoin("sample reply does not match the request") }
                return sample
            case .sampleRefused(_, let rid, let reason) where rid == id:
                throw WorkerError.rejoin("the sample from partition \(owner) was refused: \(reason)")
            case .error(let text):
                throw WorkerError.rejoin(text)
            default:
                continue  // a late reply to a request given up on
            }
        }
        throw WorkerError.rejoin("no sample from partition \(owner) within \(giveUpSeconds) s")
    }

    func close() {
        link?.socket.close()
        link = nil
    }

    private func open() throws -> Link {
        let socket = try ZMQSocket(.dealer)
        try socket.setReconnectInterval(milliseconds: 100, maxMilliseconds: 1000)
        try security.apply(to: socket)
        try socket.connect(endpoint)
        let link = try Link(socket: socket, limits: limits, codec: .default, logger: logger)
        self.link = link
        return link
    }
}
