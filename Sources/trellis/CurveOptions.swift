import ArgumentParser
import Logging
import TrellisTransport

// The CURVE flags, one group per side, so every role that binds (the coordinator; a parameter
// server later) or connects (workers) sets up encryption the same way.

/// `--curve-secret-key-file`, for a role that binds.
struct CurveServerOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Encrypt cluster traffic with CURVE, using the secret key in this file (`trellis keygen` writes one); "
            + "the public key is logged and workers need it as --curve-server-key.", valueName: "file"))
    var curveSecretKeyFile: String?

    /// `.none` without the flag. With it, reads the key and logs the public key: that line is
    /// what an operator copies to the workers.
    func security(logger: Logger) throws -> SocketSecurity {
        guard let path = curveSecretKeyFile else { return .none }
        let keys = try CurveKeyFile.readSecret(path)
        logger.info("CURVE encryption on: workers need --curve-server-key with this public key",
                    metadata: ["public_key": "\(keys.publicKey)", "secret_key_file": "\(path)"])
        return .curveServer(secretKey: keys.secretKey)
    }
}

/// `--curve-server-key`, for a role that connects.
struct CurveClientOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "The coordinator's CURVE public key (in its log, or curve.pub from `trellis keygen`); "
            + "needed when it runs with --curve-secret-key-file.", valueName: "key"))
    var curveServerKey: String?

    /// `.none` without the flag; otherwise CURVE with a fresh keypair of this process's own
    /// (servers do not check client keys: the cluster token decides membership).
    func security() throws -> SocketSecurity {
        guard let key = curveServerKey else { return .none }
        do {
            try CurveKeyPair.validate(key, as: "--curve-server-key")
            return .curveClient(serverPublicKey: key, keys: try CurveKeyPair.generate())
        } catch { throw RunError(error) }
    }
}
