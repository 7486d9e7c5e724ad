import Foundation
import Logging
import TrellisCore
import TrellisTensor
import TrellisTransport
import TrellisWire

/// A worker's connections to the `trellis server start` processes: a pull gathers each
/// table's rows from the shards that hold them (dense weights from shard 0), a push scatters
/// the contribution the same way and leaves the coordinator only the step's books. Owned by
/// the worker's main thread.
///
/// `waiting` is called between polls: the worker answers other workers' sampling requests
/// while it waits for a shard.
final class ServerLinks: ParameterClient {
    let sharding: ServerSharding
    let links: [Link]
    let giveUpSeconds: Double
    /// The worker's session and table widths, set once it has joined every shard.
    var session: UInt64 = 0
    var dimensions: [Int] = []
    var waiting: () throws -> Void = {}

    init(endpoints: [String], limits: WireLimits, codec: CodecOptions, security: SocketSecurity,
         giveUpSeconds: Double, logger: Logger) throws {
        sharding = ServerSharding(count: endpoints.count)
        self.giveUpSeconds = giveUpSeconds
        links = try endpoints.enumerated().map { k, endpoint in
            let socket = try ZMQSocket(.dealer)
            try socket.setReconnectInterval(milliseconds: 100, maxMilliseconds: 1000)
            try security.apply(to: socket)
            try socket.connect(endpoint)
            var shardLimits = limits
            if k > 0 { shardLimits.denseShapes = [] }  // dense weights live on shard 0
            return try Link(socket: socket, limits: shardLimits, codec: codec, logger: logger)
        }
    }

    func close() { for l in links { l.socket.close() } }

    /// Presents the token to every shard.
    func join(token: String, name: String) throws {
        for k in links.indices {
            try links[k].send(.join(token: token, name: name))
            guard case .ack = try reply(from: k, waiting: waiting) else { throw WorkerError.rejoin("shard \(k) did not accept the join") }
        }
    }

    /// Rows `ids[t]` of each table t, (ids[t].count, d), and the dense weights.
    func pull(partition: Int, globalStep: Int, ids: [[Int32]]) throws -> (rows: [Tensor], dense: [Tensor]) {
        let positions = ids.map { sharding.split($0) }  // [table][shard] -> positions in ids[table]
        for k in links.indices {
            try links[k].send(.pull(session: session, partition: partition, globalStep: globalStep,
                                    ids: ids.indices.map { t in positions[t][k].map { ids[t][$0] } }))
        }
        var rows = zip(ids, dimensions).map { [Float](repeating: 0, count: $0.count * $1) }
        var dense: [Tensor] = []
        for k in links.indices {
            guard case .rows(let part, let d) = try reply(from: k, waiting: waiting), part.count == ids.count else {
                throw WorkerError.rejoin("shard \(k) answered the pull with something else")
            }
            for t in ids.indices {
                let width = dimensions[t]
                guard part[t].shape == [positions[t][k].count, width] else { throw WorkerError.rejoin("shard \(k): rows of table \(t) do not match the pull") }
                part[t].data.withUnsafeBufferPointer { src in
                    rows[t].withUnsafeMutableBufferPointer { dst in
                        for (j, position) in positions[t][k].enumerated() {
                            (dst.baseAddress! + position * width).update(from: src.baseAddress! + j * width, count: width)
                        }
                    }
                }
            }
            if k == 0 { dense = d }
        }
        return (zip(rows, zip(ids, dimensions)).map { Tensor(shape: [$1.0.count, $1.1], data: $0) }, dense)
    }

    /// Sends each shard its rows of `c` (dense gradients to shard 0) and waits for every ack.
    func push(_ c: Contribution, globalStep: Int, grant: Grant) throws -> Contribution {
        let positions = c.rows.map { sharding.split($0.rowIDs) }  // [table][shard] -> rows of the gradient
        for k in links.indices {
            var part = c
            part.rows = zip(c.rows, positions).map { g, byShard in
                let d = g.dimension
                var values: [Float] = []
                values.reserveCapacity(byShard[k].count * d)
                for j in byShard[k] { values.append(contentsOf: g.values[(j * d)..<((j + 1) * d)]) }
                return RowGradient(dimension: d, rowIDs: byShard[k].map { g.rowIDs[$0] }, values: values)
            }
            if k > 0 { part.dense = [] }
            try links[k].send(.push(session: session, globalStep: globalStep, contribution: part, timings: [], grant: grant))
        }
        for k in links.indices {
            guard case .ack = try reply(from: k, waiting: waiting) else { throw WorkerError.rejoin("shard \(k) did not take the push") }
        }
        return c.books
    }

    /// Bytes sent and received over all shards.
    var bytes: (sent: Int, received: Int) { links.reduce((0, 0)) { ($0.0 + $1.bytesSent, $0.1 + $1.bytesReceived) } }

    /// The next message from shard `k`; an error reply or a silent shard makes the worker re-join.
    func reply(from k: Int, waiting: () throws -> Void) throws -> Message {
        let deadline = ResourceUsage.now() + giveUpSeconds
        while ResourceUsage.now() < deadline {
            try waiting()
            guard let (message, _) = try links[k].receive(timeoutMilliseconds: 1) else { continue }
            if case .error(let text) = message { throw WorkerError.rejoin("shard \(k): \(text)") }
            return message
        }
        throw WorkerError.rejoin("no answer from parameter-server shard \(k) within \(Int(giveUpSeconds)) s")
    }
}
