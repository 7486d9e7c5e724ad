import TrellisTensor

/// Where a step gets its rows and sends its gradients: the parameter server in this process,
/// the coordinator's, or the shards of `trellis server start` processes. A worker's loop does
/// not know which one it talks to.
public protocol ParameterClient: AnyObject {
    /// Rows `ids[t]` of every table t, (ids[t].count, d_t), and the dense weights, for the
    /// task (partition, global step).
    func pull(partition: Int, globalStep: Int, ids: [[Int32]]) throws -> (rows: [Tensor], dense: [Tensor])
    /// Hands over the step's gradients; returns what the coordinator keeps its books with:
    /// the whole contribution where it holds the parameters, only the loss and share where
    /// the gradients went to the shards.
    func push(_ c: Contribution, globalStep: Int, grant: Grant) throws -> Contribution
}

/// The parameter server of this process (`trellis train`): a pull reads it, a push applies.
public final class LocalParameters: ParameterClient {
    public let server: ParameterServer

    public init(_ server: ParameterServer) { self.server = server }

    public func pull(partition: Int, globalStep: Int, ids: [[Int32]]) throws -> (rows: [Tensor], dense: [Tensor]) {
        (try ids.enumerated().map { try server.rows(table: $0, ids: $1) }, server.denseValues())
    }

    public func push(_ c: Contribution, globalStep: Int, grant: Grant) throws -> Contribution {
        try server.accept(c, globalStep: globalStep)
        return c
    }
}

/// A worker's whole-table reads: a table asked for whole (every row, in order: a whole-graph
/// model's pull, a full softmax's item table) is fetched once and handed to the worker's other
/// pulls from a copy, keyed by the global step it was fetched for. A trainable table's copy
/// serves
///
///     sync:   the pulls of the same global step (every partition of step s reads version s:
///             never stale);
///     async:  the pulls of steps s with s - fetched <= staleness, when staleness > 0
///             (`cluster.table_staleness`): the rows a step reads miss at most the updates
///             pushed since step s - staleness was pulled, and the table crosses the wire
///             once every staleness + 1 steps instead of every step;
///
/// a frozen table's copy serves every later pull, since it never changes. Tables asked for
/// by row, the dense weights (fetched with every pull unless every table came from copies in
/// the same sync step) and every push pass straight through: a step still pushes its
/// gradient for every row it touched.
public final class WholeTableCache: ParameterClient {
    let inner: ParameterClient
    let tableRows: [Int]
    let tableKinds: [TableKind]
    let sync: Bool
    /// Async mode: the oldest copy (in global steps) a pull may be served from; 0 keeps none.
    let staleness: Int
    /// Per table: its whole copy and the global step it was fetched at.
    private var copies: [(globalStep: Int, rows: Tensor)?]
    private var dense: (globalStep: Int, values: [Tensor])?
    /// Whole tables fetched and served from a copy, for reports and tests.
    public private(set) var fetched = 0, served = 0

    public init(_ inner: ParameterClient, tableRows: [Int], tableKinds: [TableKind], sync: Bool, staleness: Int = 0) {
        precondition(tableRows.count == tableKinds.count, "WholeTableCache: one kind per table")
        precondition(staleness >= 0, "WholeTableCache: staleness \(staleness) < 0")
        self.inner = inner
        self.tableRows = tableRows
        self.tableKinds = tableKinds
        self.sync = sync
        self.staleness = sync ? 0 : staleness
        copies = tableRows.map { _ in nil }
    }

    public func pull(partition: Int, globalStep: Int, ids: [[Int32]]) throws -> (rows: [Tensor], dense: [Tensor]) {
        guard ids.count == tableRows.count else { return try inner.pull(partition: partition, globalStep: globalStep, ids: ids) }
        let whole = zip(ids, tableRows).map { list, n in list.count == n && list.enumerated().allSatisfy { Int($1) == $0 } }
        let fresh = (0..<ids.count).map { t -> Tensor? in
            guard whole[t], let copy = copies[t], tableKinds[t] == .frozen || serves(copy.globalStep, globalStep) else { return nil }
            return copy.rows
        }
        if fresh.allSatisfy({ $0 != nil }), let d = dense, d.globalStep == globalStep {
            served += fresh.count
            return (fresh.map { $0! }, d.values)
        }
        // Fetch what no copy serves; an empty id list keeps the table's place in the request.
        let asked = ids.enumerated().map { t, list in fresh[t] == nil ? list : [] }
        let pulled = try inner.pull(partition: partition, globalStep: globalStep, ids: asked)
        if sync { dense = (globalStep, pulled.dense) }
        var rows = pulled.rows
        for t in 0..<ids.count {
            if let copy = fresh[t] {
                rows[t] = copy
                served += 1
            } else if whole[t], tableKinds[t] == .frozen || sync || staleness > 0 {
                copies[t] = (globalStep, rows[t])
                fetched += 1
            }
        }
        return (rows, pulled.dense)
    }

    public func push(_ c: Contribution, globalStep: Int, grant: Grant) throws -> Contribution {
        try inner.push(c, globalStep: globalStep, grant: grant)
    }

    /// Whether a trainable copy fetched for step `fetched` may serve a pull of step `step`.
    private func serves(_ fetched: Int, _ step: Int) -> Bool {
        sync ? fetched == step : staleness > 0 && step >= fetched && step - fetched <= staleness
    }
}
