import CZeroMQ

/// A CURVE (CurveZMQ, Curve25519) keypair, each key as Z85 text: 40 printable characters for
/// 32 bytes, the form `zmq_curve_keypair` produces and `trellis keygen` prints.
///
/// A server's secret key is its identity: whoever holds it can pose as the server. Its public
/// key is handed to clients, which use it to check they reached the real server and to
/// encrypt to it. `description` never shows the secret, so a pair is safe to log.
public struct CurveKeyPair: Sendable, Equatable, CustomStringConvertible {
    /// Z85, 40 characters.
    public let publicKey: String
    /// Z85, 40 characters.
    public let secretKey: String

    /// Characters in a Z85-encoded 32-byte key.
    public static let keyLength = 40

    /// The pair a secret key belongs to (the public half is derived from it).
    public init(secretKey: String) throws {
        self.publicKey = try CurveKeyPair.publicKey(fromSecret: secretKey)
        self.secretKey = secretKey
    }

    private init(publicKey: String, secretKey: String) {
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    /// True when libzmq was built with CURVE (it needs libsodium or tweetnacl).
    public static var isAvailable: Bool { zmq_has("curve") != 0 }

    /// A fresh random keypair (zmq_curve_keypair).
    public static func generate() throws -> CurveKeyPair {
        try requireAvailable("zmq_curve_keypair")
        var publicText = [CChar](repeating: 0, count: keyLength + 1)
        var secretText = [CChar](repeating: 0, count: keyLength + 1)
        guard zmq_curve_keypair(&publicText, &secretText) == 0 else { throw TransportError.last("zmq_curve_keypair") }
        return CurveKeyPair(publicKey: String(cString: publicText), secretKey: String(cString: secretText))
    }

    /// The public key belonging to `secretKey` (zmq_curve_public).
    public static func publicKey(fromSecret secretKey: String) throws -> String {
        try requireAvailable("zmq_curve_public")
        try validate(secretKey, as: "CURVE secret key")
        var publicText = [CChar](repeating: 0, count: keyLength + 1)
        guard zmq_curve_public(&publicText, secretKey) == 0 else { throw TransportError.last("zmq_curve_public") }
        return String(cString: publicText)
    }

    public var description: String { "CurveKeyPair(public: \(publicKey), secret: <hidden>)" }

    // MARK: Checks

    /// Throws unless `key` is a Z85-encoded 32-byte key; `what` names it in the error (a flag,
    /// a file). The error never repeats the key: it may be a secret.
    public static func validate(_ key: String, as what: String) throws {
        let expected = "expected \(keyLength) characters of the Z85 alphabet (0-9 a-z A-Z .-:+=^!/*?&<>()[]{}@%$#)"
        func refuse(_ found: String) -> TransportError {
            TransportError(operation: what, errno: 0, message: "\(expected), found \(found)")
        }
        let characters = Array(key)
        guard characters.count == keyLength else { throw refuse("\(characters.count) characters") }
        if let bad = characters.firstIndex(where: { !z85Alphabet.contains($0) }) {
            throw refuse("a character outside it at position \(bad + 1)")
        }
        // Right alphabet, but each 5-character group must also fit 32 bits ("#####" does not);
        // libzmq's own decoder checks that.
        var decoded = [UInt8](repeating: 0, count: 32)
        guard zmq_z85_decode(&decoded, key) != nil else { throw refuse("a 5-character group larger than 32 bits") }
    }

    private static let z85Alphabet = Set("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#")

    /// Throws a clear error where libzmq has no CURVE, instead of its bare ENOTSUP.
    static func requireAvailable(_ operation: String) throws {
        guard isAvailable else {
            throw TransportError(operation: operation, errno: 0,
                                 message: "this libzmq was built without CURVE (it needs libsodium); run without CURVE options")
        }
    }
}
