import CZeroMQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: Socket options

extension ZMQSocket {
    /// How long `close` waits to flush unsent messages (ZMQ_LINGER; 0 by default, -1 forever).
    public func setLinger(milliseconds: Int) throws {
        try setInt(ZMQ_LINGER, "ZMQ_LINGER", milliseconds)
    }

    /// Outgoing messages queued per peer before sends block or drop (ZMQ_SNDHWM; 0 = none).
    public func setSendHighWaterMark(_ messages: Int) throws {
        try setInt(ZMQ_SNDHWM, "ZMQ_SNDHWM", messages)
    }

    /// Incoming messages queued per peer before libzmq stops reading (ZMQ_RCVHWM; 0 = none).
    public func setReceiveHighWaterMark(_ messages: Int) throws {
        try setInt(ZMQ_RCVHWM, "ZMQ_RCVHWM", messages)
    }

    /// This socket's routing id as a ROUTER peer sees it (ZMQ_ROUTING_ID; 1 to 255 bytes,
    /// not starting with a zero byte). Set before connecting.
    public func setRoutingID(_ id: [UInt8]) throws {
        try setBytes(ZMQ_ROUTING_ID, "ZMQ_ROUTING_ID", id)
    }

    /// This socket's routing id (empty when libzmq generates one).
    public func routingID() throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 256)
        var size = buffer.count
        let socket = try open("zmq_getsockopt ZMQ_ROUTING_ID")
        guard zmq_getsockopt(socket, ZMQ_ROUTING_ID, &buffer, &size) == 0 else {
            throw TransportError.last("zmq_getsockopt ZMQ_ROUTING_ID")
        }
        return Array(buffer[0..<size])
    }

    /// How long a blocking receive waits before failing with EAGAIN (ZMQ_RCVTIMEO; -1 forever).
    /// `receive(timeoutMilliseconds:)` polls instead and does not need this.
    public func setReceiveTimeout(milliseconds: Int) throws {
        try setInt(ZMQ_RCVTIMEO, "ZMQ_RCVTIMEO", milliseconds)
    }

    /// How long a blocking send waits before failing with EAGAIN (ZMQ_SNDTIMEO; -1 forever).
    public func setSendTimeout(milliseconds: Int) throws {
        try setInt(ZMQ_SNDTIMEO, "ZMQ_SNDTIMEO", milliseconds)
    }

    /// ROUTER only: fail a send to an unknown routing id with EHOSTUNREACH instead of
    /// silently dropping it (ZMQ_ROUTER_MANDATORY).
    public func setRouterMandatory(_ on: Bool) throws {
        try setInt(ZMQ_ROUTER_MANDATORY, "ZMQ_ROUTER_MANDATORY", on ? 1 : 0)
    }

    /// The largest message libzmq accepts from a peer; a peer sending more is disconnected
    /// before the bytes reach Trellis (ZMQ_MAXMSGSIZE; -1 = no limit).
    public func setMaxMessageSize(_ bytes: Int) throws {
        var value = Int64(bytes)
        let socket = try open("zmq_setsockopt ZMQ_MAXMSGSIZE")
        guard zmq_setsockopt(socket, ZMQ_MAXMSGSIZE, &value, MemoryLayout<Int64>.size) == 0 else {
            throw TransportError.last("zmq_setsockopt ZMQ_MAXMSGSIZE")
        }
    }

    /// Queue messages only to completed connections, so sends do not pile up for a peer
    /// that is not there yet (ZMQ_IMMEDIATE).
    public func setImmediate(_ on: Bool) throws {
        try setInt(ZMQ_IMMEDIATE, "ZMQ_IMMEDIATE", on ? 1 : 0)
    }

    /// Reconnection back-off: first retry after `milliseconds`, doubling up to `maxMilliseconds`
    /// (ZMQ_RECONNECT_IVL, ZMQ_RECONNECT_IVL_MAX; 0 = no back-off).
    public func setReconnectInterval(milliseconds: Int, maxMilliseconds: Int = 0) throws {
        try setInt(ZMQ_RECONNECT_IVL, "ZMQ_RECONNECT_IVL", milliseconds)
        try setInt(ZMQ_RECONNECT_IVL_MAX, "ZMQ_RECONNECT_IVL_MAX", maxMilliseconds)
    }

    // MARK: CURVE (SocketSecurity.apply sets these in the right order)

    /// Makes this socket the CURVE server side: it holds a secret key and clients must know
    /// its public key (ZMQ_CURVE_SERVER). Set before bind.
    public func setCurveServer(_ on: Bool) throws {
        try setInt(ZMQ_CURVE_SERVER, "ZMQ_CURVE_SERVER", on ? 1 : 0)
    }

    /// This socket's own CURVE secret key, 40 Z85 characters (ZMQ_CURVE_SECRETKEY).
    public func setCurveSecretKey(_ key: String) throws {
        try setCurveKey(ZMQ_CURVE_SECRETKEY, "ZMQ_CURVE_SECRETKEY", key, what: "CURVE secret key")
    }

    /// This socket's own CURVE public key, 40 Z85 characters (ZMQ_CURVE_PUBLICKEY; clients).
    public func setCurvePublicKey(_ key: String) throws {
        try setCurveKey(ZMQ_CURVE_PUBLICKEY, "ZMQ_CURVE_PUBLICKEY", key, what: "CURVE public key")
    }

    /// The public key of the server a client connects to, 40 Z85 characters
    /// (ZMQ_CURVE_SERVERKEY); the handshake fails against any other server.
    public func setCurveServerKey(_ key: String) throws {
        try setCurveKey(ZMQ_CURVE_SERVERKEY, "ZMQ_CURVE_SERVERKEY", key, what: "CURVE server public key")
    }

    /// The current linger in milliseconds (ZMQ_LINGER).
    public func linger() throws -> Int {
        try getInt(ZMQ_LINGER, "ZMQ_LINGER")
    }

    // MARK: Internals

    func setInt(_ option: Int32, _ name: String, _ value: Int) throws {
        guard let v = Int32(exactly: value) else {
            throw TransportError(operation: "zmq_setsockopt \(name)", errno: EINVAL, message: "value \(value) does not fit a C int")
        }
        var c = v
        let socket = try open("zmq_setsockopt \(name)")
        guard zmq_setsockopt(socket, option, &c, MemoryLayout<Int32>.size) == 0 else {
            throw TransportError.last("zmq_setsockopt \(name)")
        }
    }

    func setBytes(_ option: Int32, _ name: String, _ bytes: [UInt8]) throws {
        let socket = try open("zmq_setsockopt \(name)")
        guard zmq_setsockopt(socket, option, bytes, bytes.count) == 0 else {
            throw TransportError.last("zmq_setsockopt \(name)")
        }
    }

    /// Checked first: libzmq answers a malformed key with a bare EINVAL.
    private func setCurveKey(_ option: Int32, _ name: String, _ key: String, what: String) throws {
        try CurveKeyPair.requireAvailable("zmq_setsockopt \(name)")
        try CurveKeyPair.validate(key, as: what)
        try setBytes(option, name, Array(key.utf8))
    }

    func getInt(_ option: Int32, _ name: String) throws -> Int {
        var c: Int32 = 0
        var size = MemoryLayout<Int32>.size
        let socket = try open("zmq_getsockopt \(name)")
        guard zmq_getsockopt(socket, option, &c, &size) == 0 else {
            throw TransportError.last("zmq_getsockopt \(name)")
        }
        return Int(c)
    }
}
