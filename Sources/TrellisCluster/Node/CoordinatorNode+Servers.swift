import Foundation
import Logging
import TrellisCore
import TrellisTraining

/// Parameter-server processes (`trellis server start`): admission, handing each its shard,
/// and gathering their state back before a checkpoint or an evaluation.
extension CoordinatorNode {
    struct ServerPeer {
        var session: UInt64
        var envelope: [UInt8]
        var endpoint: String
        /// It has loaded its shard.
        var ready = false
        var lastSeen: Double
    }

    /// Work waiting for the servers' state: asked for once no worker holds a task.
    struct PendingGather {
        var then: () throws -> Void
        var requested = false
    }

    var sharding: ServerSharding { ServerSharding(count: max(settings.servers, 1)) }

    /// Every shard has joined and loaded (true at once without server processes).
    var serversReady: Bool { servers.allSatisfy { $0?.ready == true } }

    func admitServer(token: String, endpoint: String, envelope: [UInt8]) throws {
        guard token == settings.token else {
            logger.warning("rejected a server: wrong cluster token", metadata: ["endpoint": "\(endpoint)"])
            return try link.send(.error("wrong cluster token"), to: envelope)
        }
        let shard: Int
        if let k = servers.firstIndex(where: { $0?.envelope == envelope }) {
            shard = k  // its welcome was lost: send it again
        } else if !started, let k = servers.firstIndex(where: { $0 == nil }) {
            shard = k
            var session: UInt64 = 0
            while session == 0 { session = UInt64.random(in: 1...UInt64.max) }
            servers[k] = ServerPeer(session: session, envelope: envelope, endpoint: endpoint, lastSeen: ResourceUsage.now())
        } else {
            // After the start a new shard would hold stale rows; a lost shard means a restart with --resume.
            logger.warning("rejected a server: every shard is taken", metadata: ["endpoint": "\(endpoint)"])
            return try link.send(.error("every parameter-server shard is taken"), to: envelope)
        }
        let store = run.server.store
        try link.send(.serverWelcome(ServerWelcome(
            session: servers[shard]!.session, shard: shard, shardCount: settings.servers, configYAML: settings.configYAML,
            seed: config.seed, partitionCount: cluster.partitions, tableNames: store.tables.map(\.name),
            tableRows: store.tables.map(\.rowCount), tableDimensions: store.tables.map(\.dimension),
            denseNames: store.dense.map(\.name), denseShapes: store.dense.map(\.value.shape), codec: codecOptions, grantKey: grantKey)), to: envelope)
        try link.send(.shardState(sharding.state(of: run.server, shard: shard)), to: envelope)
        logger.info("server joined", metadata: ["shard": "\(shard) of \(settings.servers)", "endpoint": "\(endpoint)"])
    }

    func handleServer(_ message: Message, shard: Int) throws {
        servers[shard]!.lastSeen = ResourceUsage.now()
        switch message {
        case .heartbeat:
            try link.send(.ack(applied: false), to: servers[shard]!.envelope)
        case .ack:
            servers[shard]!.ready = true
            logger.info("server ready", metadata: ["shard": "\(shard)"])
        case .shardState(let s):
            guard pendingGather?.requested == true, s.shard == shard else {
                return logger.warning("unexpected shard state", metadata: ["shard": "\(shard)"])
            }
            gathered[shard] = s
            guard gathered.count == settings.servers, let pending = pendingGather else { return }
            try sharding.merge(Array(gathered.values), into: run.server)
            gathered = [:]
            pendingGather = nil
            try pending.then()
        case .error(let text):
            logger.error("server error", metadata: ["shard": "\(shard)", "reason": "\(text)"])
        default:
            logger.warning("unexpected message from a server", metadata: ["kind": "\(message.kind)", "shard": "\(shard)"])
        }
    }

    /// Runs `then` with the servers' current state merged into this process's copy: at once
    /// without server processes, otherwise once every shard has answered.
    func withServerState(_ then: @escaping () throws -> Void) throws {
        guard settings.servers > 0 else { return try then() }
        pendingGather = PendingGather(then: then)
        try progressGather()
    }

    /// Asks the shards for their state once no task is out (so every shard is at the same step).
    func progressGather() throws {
        guard var pending = pendingGather, !pending.requested, workers.values.allSatisfy({ $0.taskSince == nil }) else { return }
        pending.requested = true
        pendingGather = pending
        gathered = [:]
        for s in servers.compactMap({ $0 }) { try link.send(.stateRequest, to: s.envelope) }
    }

    /// A shard that stops answering cannot be replaced mid-run: its rows since the last gather
    /// exist nowhere else. The run stops; `--resume` continues from the last checkpoint.
    func checkServers(now: Double) throws {
        let timeout = Double(cluster.workerTimeoutMilliseconds) / 1000
        for (k, s) in servers.enumerated() {
            guard let s, now - s.lastSeen > timeout else { continue }
            throw ShardError("parameter-server shard \(k) (\(s.endpoint)) silent for \(String(format: "%.1f", now - s.lastSeen)) s; "
                + "restart the servers and the coordinator with --resume to continue from the last checkpoint")
        }
    }

    func tellServersFinished() {
        for s in servers.compactMap({ $0 }) { try? link.send(.finished, to: s.envelope) }
    }
}
