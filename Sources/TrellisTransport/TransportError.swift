import CZeroMQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A ZeroMQ call that failed: what Trellis was doing, plus libzmq's errno and its text.
///
/// `description` reads `zmq_bind tcp://127.0.0.1:5555: Address already in use (errno 98)`.
public struct TransportError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What was being done, e.g. `zmq_connect tcp://host:5555` or `send part 2 of 3`.
    public var operation: String
    /// The errno value libzmq reported (0 when the error is Trellis's own, e.g. a malformed key).
    public var errno: Int32
    /// `zmq_strerror(errno)`, or Trellis's own explanation.
    public var message: String

    /// An error with every field given explicitly.
    public init(operation: String, errno: Int32, message: String) {
        self.operation = operation
        self.errno = errno
        self.message = message
    }

    /// The error libzmq just reported (`zmq_errno()`) while doing `operation`.
    public static func last(_ operation: String) -> TransportError {
        let code = zmq_errno()
        return TransportError(operation: operation, errno: code, message: String(cString: zmq_strerror(code)))
    }

    /// Trellis refused `operation` because the socket was already closed.
    public static func closed(_ operation: String) -> TransportError {
        TransportError(operation: operation, errno: ENOTSOCK, message: "socket is closed")
    }

    /// True for EAGAIN: a timeout expired or a non-blocking call would have blocked.
    public var isWouldBlock: Bool { errno == EAGAIN }

    /// True for EHOSTUNREACH: a ROUTER with `routerMandatory` has no peer of that identity.
    public var isUnreachable: Bool { errno == EHOSTUNREACH }

    /// True for ETERM: the context is shutting down.
    public var isTerminated: Bool { errno == ETERM }

    /// Trellis's own errors (errno 0, e.g. a malformed key) carry no errno worth showing.
    public var description: String { errno == 0 ? "\(operation): \(message)" : "\(operation): \(message) (errno \(errno))" }
}
