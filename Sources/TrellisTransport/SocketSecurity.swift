/// How a socket protects its traffic: ZeroMQ's security mechanism, set before bind/connect.
///
/// `none` is the NULL mechanism: plaintext, and any peer that reaches the port can talk.
/// CURVE (CurveZMQ) encrypts every message and authenticates the server: a client must know
/// the server's public key, so an eavesdropper sees only ciphertext and an impostor cannot
/// complete the handshake. Clients are not checked by key (no ZAP handler is installed):
/// deciding who is a member stays with the protocol above (Trellis's cluster token).
///
///     binds (coordinator)                          connects (worker)
///     .curveServer(secretKey: S)   <-- CURVE -->   .curveClient(serverPublicKey: P(S), keys: own)
public enum SocketSecurity: Sendable, CustomStringConvertible {
    /// Plaintext (ZMQ_NULL).
    case none
    /// The binding side: proves it holds `secretKey` to every client.
    case curveServer(secretKey: String)
    /// The connecting side: talks only to the holder of the secret behind `serverPublicKey`;
    /// `keys` is its own pair (a fresh one per process is fine, since clients are not checked by key).
    case curveClient(serverPublicKey: String, keys: CurveKeyPair)

    /// Sets this mechanism's options on `socket`. Throws for a malformed key, a libzmq without
    /// CURVE, or a socket already bound or connected (its endpoints would stay plaintext).
    public func apply(to socket: ZMQSocket) throws {
        switch self {
        case .none:
            return  // NULL is libzmq's default: nothing to set
        case .curveServer(let secretKey):
            try Self.requireNoEndpoint(socket)
            try socket.setCurveServer(true)
            try socket.setCurveSecretKey(secretKey)
        case .curveClient(let serverPublicKey, let keys):
            try Self.requireNoEndpoint(socket)
            try socket.setCurveServerKey(serverPublicKey)
            try socket.setCurvePublicKey(keys.publicKey)
            try socket.setCurveSecretKey(keys.secretKey)
        }
    }

    private static func requireNoEndpoint(_ socket: ZMQSocket) throws {
        guard !socket.hasEndpoint else {
            throw TransportError(operation: "CURVE setup", errno: 0,
                                 message: "the socket is already bound or connected; set security before bind or connect")
        }
    }

    /// Safe to log: names the mechanism and public keys, never a secret.
    public var description: String {
        switch self {
        case .none: return "plaintext"
        case .curveServer: return "CURVE server"
        case .curveClient(let serverPublicKey, _): return "CURVE client of server \(serverPublicKey)"
        }
    }
}
