import CZeroMQ

/// A libzmq context: its I/O threads carry every socket's traffic.
///
/// One per process is the rule (`shared`); sockets keep their context alive, so a context
/// is terminated only after its last socket is closed and released. A context is safe to
/// use from any thread; the sockets it makes are not.
public final class ZMQContext: @unchecked Sendable {
    /// The process-wide context; never terminated.
    public static let shared: ZMQContext = {
        do { return try ZMQContext() } catch {
            fatalError("ZMQContext: cannot create the shared libzmq context: \(error)")
        }
    }()

    /// The libzmq context handle.
    let handle: UnsafeMutableRawPointer

    /// A fresh context (tests use their own to stay isolated; programs use `shared`).
    public init() throws {
        guard let handle = zmq_ctx_new() else { throw TransportError.last("zmq_ctx_new") }
        self.handle = handle
    }

    deinit {
        // Every socket holds a reference, so none is open here and this cannot block.
        _ = zmq_ctx_term(handle)
    }

    /// The libzmq version linked, e.g. `(4, 3, 5)`.
    public static var libraryVersion: (major: Int, minor: Int, patch: Int) {
        var major: Int32 = 0, minor: Int32 = 0, patch: Int32 = 0
        zmq_version(&major, &minor, &patch)
        return (Int(major), Int(minor), Int(patch))
    }
}
