import CZeroMQ
import Logging

// A thin, owning wrapper around one libzmq socket.
//
// Threading: ZeroMQ sockets are not thread-safe. Exactly one thread owns each ZMQSocket and
// makes every call on it (send, receive, options, close). Ownership may be handed to another
// thread once, before that thread starts using it; two threads must never use one socket.
// Cross-thread communication goes through separate sockets (e.g. `inproc://` pairs).
//
// Shutdown: every socket is created with ZMQ_LINGER 0, so closing it drops unsent messages
// instead of waiting for a peer that may be dead; a vanished peer never hangs process exit.
// Callers that must flush (a final checkpoint acknowledgement) set a linger explicitly.

/// One ZeroMQ socket (ROUTER, DEALER or PAIR), owned by one thread. See the header comment
/// of this file for threading and shutdown rules.
public final class ZMQSocket: @unchecked Sendable {
    /// The socket patterns Trellis uses.
    public enum Kind: Sendable, CustomStringConvertible {
        /// Addresses peers by routing id; receives `[id, ...parts]`, sends to `parts[0]`.
        case router
        /// Load-balances to connected peers; talks to a ROUTER with its routing id.
        case dealer
        /// Exactly one peer, both directions (coordinator-to-thread control channels).
        case pair

        var zmqType: Int32 {
            switch self {
            case .router: return ZMQ_ROUTER
            case .dealer: return ZMQ_DEALER
            case .pair: return ZMQ_PAIR
            }
        }

        public var description: String {
            switch self {
            case .router: return "router"
            case .dealer: return "dealer"
            case .pair: return "pair"
            }
        }
    }

    /// The pattern this socket was created with.
    public let kind: Kind
    /// Keeps the context alive while this socket exists.
    public let context: ZMQContext
    /// Where bind/connect/close are logged (debug level).
    public var logger: Logger
    /// The libzmq socket handle; nil once closed.
    var handle: UnsafeMutableRawPointer?
    /// True after the first bind or connect: libzmq copies security options into each endpoint
    /// when it is made, so setting them later would leave that endpoint in plaintext.
    var hasEndpoint = false

    /// A new socket of `kind` with linger 0.
    public init(_ kind: Kind, context: ZMQContext = .shared,
                logger: Logger = Logger(label: "trellis.transport")) throws {
        guard let handle = zmq_socket(context.handle, kind.zmqType) else {
            throw TransportError.last("zmq_socket \(kind)")
        }
        self.kind = kind
        self.context = context
        self.logger = logger
        self.handle = handle
        try setLinger(milliseconds: 0)
    }

    deinit { close() }

    /// True until `close()`.
    public var isOpen: Bool { handle != nil }

    // MARK: Endpoints

    /// Binds to `endpoint`, e.g. `tcp://127.0.0.1:*` (an ephemeral port: read `lastEndpoint`).
    public func bind(_ endpoint: String) throws {
        let socket = try open("zmq_bind \(endpoint)")
        guard zmq_bind(socket, endpoint) == 0 else { throw TransportError.last("zmq_bind \(endpoint)") }
        hasEndpoint = true
        logger.debug("bound", metadata: ["kind": "\(kind)", "endpoint": "\(endpoint)"])
    }

    /// Connects to `endpoint`; libzmq reconnects on its own if the peer goes away.
    public func connect(_ endpoint: String) throws {
        let socket = try open("zmq_connect \(endpoint)")
        guard zmq_connect(socket, endpoint) == 0 else { throw TransportError.last("zmq_connect \(endpoint)") }
        hasEndpoint = true
        logger.debug("connected", metadata: ["kind": "\(kind)", "endpoint": "\(endpoint)"])
    }

    /// Stops connecting to `endpoint`.
    public func disconnect(_ endpoint: String) throws {
        let socket = try open("zmq_disconnect \(endpoint)")
        guard zmq_disconnect(socket, endpoint) == 0 else { throw TransportError.last("zmq_disconnect \(endpoint)") }
    }

    /// The endpoint of the last bind or connect, with the real port after binding to `*`
    /// (ZMQ_LAST_ENDPOINT), e.g. `tcp://127.0.0.1:40123`.
    public var lastEndpoint: String {
        get throws {
            var buffer = [CChar](repeating: 0, count: 512)
            var size = buffer.count
            let socket = try open("zmq_getsockopt ZMQ_LAST_ENDPOINT")
            guard zmq_getsockopt(socket, ZMQ_LAST_ENDPOINT, &buffer, &size) == 0 else {
                throw TransportError.last("zmq_getsockopt ZMQ_LAST_ENDPOINT")
            }
            return String(cString: buffer)
        }
    }

    // MARK: Closing

    /// Closes the socket (dropping unsent messages under linger 0); safe to call twice.
    public func close() {
        guard let socket = handle else { return }
        handle = nil
        _ = zmq_close(socket)
        logger.debug("closed", metadata: ["kind": "\(kind)"])
    }

    /// The live handle, or a `closed` error naming `operation`.
    func open(_ operation: String) throws -> UnsafeMutableRawPointer {
        guard let socket = handle else { throw TransportError.closed(operation) }
        return socket
    }
}
