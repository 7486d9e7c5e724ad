import TrellisTensor

/// The activation store of the coordinator's evaluation round, read and written over the
/// worker's link; other workers' sampling requests are served while a reply is awaited.
final class CoordinatorActivations: ActivationStore {
    unowned let worker: WorkerNode
    let round: UInt64
    /// Nodes per type (a whole-type read asks for every id).
    let nodeCounts: [Int]

    init(worker: WorkerNode, round: UInt64, nodeCounts: [Int]) {
        self.worker = worker
        self.round = round
        self.nodeCounts = nodeCounts
    }

    func rows(layer: Int, type: Int, ids: [Int32]) throws -> Tensor {
        try worker.link.send(.activationPull(session: worker.session, round: round, layer: layer, type: type, ids: ids))
        let reply = try worker.waitFor { if case .activationRows = $0 { return true }; return false }
        guard case .activationRows(let rows) = reply, rows.shape[0] == ids.count else {
            throw WorkerError.rejoin("activation rows do not match the pull of \(ids.count) rows")
        }
        return rows
    }

    func whole(layer: Int, type: Int) throws -> Tensor {
        try rows(layer: layer, type: type, ids: (0..<Int32(nodeCounts[type])).map { $0 })
    }

    func write(layer: Int, type: Int, ids: [Int32], rows: Tensor) throws {
        try worker.link.send(.activationPush(session: worker.session, round: round, layer: layer, type: type, ids: ids, rows: rows))
        guard case .ack(true) = try worker.waitFor({ if case .ack = $0 { return true }; return false }) else {
            throw WorkerError.rejoin("the coordinator did not take layer \(layer) rows")
        }
    }
}
