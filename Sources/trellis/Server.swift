import ArgumentParser
import Foundation
import Logging
import TrellisCluster
import TrellisCore
import TrellisTransport

extension Trellis {
    /// `trellis server start`.
    struct Server: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a parameter-server shard of a multi-process job.", subcommands: [Start.self])

        struct Start: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Join a coordinator started with --servers N, hold one shard of the tables (and, on shard 0, the dense weights), "
                    + "and serve workers' pulls and pushes until the run ends.")

            @Option(name: .long, help: "Coordinator endpoint, e.g. tcp://10.0.0.5:5555.")
            var coordinator: String
            @Option(name: .long, help: "ZeroMQ endpoint to bind for workers.")
            var listen = "tcp://*:5600"
            @Option(name: .long, help: "Endpoint workers should connect to (default: the bound one, with 127.0.0.1 for *): set it on a multi-host job.")
            var advertise: String?
            @OptionGroup var token: TokenOption
            @Option(name: .long, help: "Seconds to keep trying to reach the coordinator.")
            var joinTimeout: Double = 60
            @OptionGroup var curve: CurveServerOptions

            func run() throws {
                var settings = ServerNode.Settings(coordinator: coordinator, listen: listen,
                                                   token: token.resolved)
                settings.advertise = advertise
                settings.joinTimeoutSeconds = joinTimeout
                // With CURVE a server uses the coordinator's key file: workers then need one public key for both.
                if case .curveServer(let secret) = try curve.security(logger: Logger(label: "trellis.server")) {
                    do {
                        let keys = try CurveKeyPair(secretKey: secret)
                        settings.workerSecurity = .curveServer(secretKey: secret)
                        settings.coordinatorSecurity = .curveClient(serverPublicKey: keys.publicKey, keys: try CurveKeyPair.generate())
                    } catch { throw RunError(error) }
                }
                let node = ServerNode(settings: settings)
                node.onReady = { print("server: holding shard \($0.shard) of \($0.shardCount)") }
                do { try node.run() } catch { throw RunError(error) }
                print("server: run finished; peak memory \(String(format: "%.1f MB", Double(ResourceUsage.peakResidentBytes()) / 1e6))")
            }
        }
    }
}
