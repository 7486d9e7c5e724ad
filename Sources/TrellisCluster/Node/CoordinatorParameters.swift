import TrellisTensor

/// The parameters held by the coordinator: a pull asks it over the worker's link (serving
/// other workers' sampling requests while waiting); the push is the worker's report itself.
final class CoordinatorParameters: ParameterClient {
    unowned let worker: WorkerNode

    init(worker: WorkerNode) { self.worker = worker }

    func pull(partition: Int, globalStep: Int, ids: [[Int32]]) throws -> (rows: [Tensor], dense: [Tensor]) {
        try worker.link.send(.pull(session: worker.session, partition: partition, globalStep: globalStep, ids: ids))
        let reply = try worker.waitFor { if case .rows = $0 { return true }; return false }
        guard case .rows(let r, let d) = reply, r.count == ids.count, zip(r, ids).allSatisfy({ $0.shape[0] == $1.count }) else {
            throw WorkerError.rejoin("rows reply does not match the pull")
        }
        return (r, d)
    }

    func push(_ c: Contribution, globalStep: Int, grant: Grant) throws -> Contribution { c }
}
