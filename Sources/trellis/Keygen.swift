import ArgumentParser
import TrellisTransport

extension Trellis {
    /// `trellis keygen`: a CURVE keypair for `--curve-secret-key-file` / `--curve-server-key`.
    struct Keygen: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a CURVE keypair: the coordinator keeps the secret key, workers get the public key.")

        @Option(name: .long, help: ArgumentHelp(
            "Write DIR/curve.key (secret, mode 0600) and DIR/curve.pub instead of printing both.", valueName: "dir"))
        var outputDir: String?

        func run() throws {
            let pair: CurveKeyPair
            do { pair = try CurveKeyPair.generate() } catch { throw RunError(error) }
            guard let outputDir else {
                print("public key: \(pair.publicKey)")
                print("secret key: \(pair.secretKey)")
                return
            }
            let paths = try CurveKeyFile.save(pair, in: outputDir)
            print("wrote \(paths.secret) (secret: coordinator only) and \(paths.public)")
            print("public key: \(pair.publicKey)")
        }
    }
}
