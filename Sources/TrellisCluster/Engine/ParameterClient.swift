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
    func push(_ c: Contribution, globalStep: Int, grant: UInt64) throws -> Contribution
}

/// The parameter server of this process (`trellis train`): a pull reads it, a push applies.
public final class LocalParameters: ParameterClient {
    public let server: ParameterServer

    public init(_ server: ParameterServer) { self.server = server }

    public func pull(partition: Int, globalStep: Int, ids: [[Int32]]) throws -> (rows: [Tensor], dense: [Tensor]) {
        (try ids.enumerated().map { try server.rows(table: $0, ids: $1) }, server.denseValues())
    }

    public func push(_ c: Contribution, globalStep: Int, grant: UInt64) throws -> Contribution {
        try server.accept(c, globalStep: globalStep)
        return c
    }
}

/// The whole-table read of a worker in sync mode: every partition of global step s reads
/// parameter version s, so a pull of every row of every table (a whole-graph model's) is
/// fetched once per step and handed to the worker's other partitions of that step from here,
/// a cached copy keyed by its version. Other pulls and every push pass straight through.
public final class WholeTableCache: ParameterClient {
    let inner: ParameterClient
    let tableRows: [Int]
    private var cached: (globalStep: Int, rows: [Tensor], dense: [Tensor])?
    /// Whole-table pulls fetched and served from the copy, for reports and tests.
    public private(set) var fetched = 0, served = 0

    public init(_ inner: ParameterClient, tableRows: [Int]) {
        self.inner = inner
        self.tableRows = tableRows
    }

    public func pull(partition: Int, globalStep: Int, ids: [[Int32]]) throws -> (rows: [Tensor], dense: [Tensor]) {
        let whole = ids.count == tableRows.count && zip(ids, tableRows).allSatisfy { list, n in
            list.count == n && list.enumerated().allSatisfy { Int($1) == $0 }
        }
        guard whole else { return try inner.pull(partition: partition, globalStep: globalStep, ids: ids) }
        if let c = cached, c.globalStep == globalStep {
            served += 1
            return (c.rows, c.dense)
        }
        let pulled = try inner.pull(partition: partition, globalStep: globalStep, ids: ids)
        cached = (globalStep, pulled.rows, pulled.dense)
        fetched += 1
        return pulled
    }

    public func push(_ c: Contribution, globalStep: Int, grant: UInt64) throws -> Contribution {
        try inner.push(c, globalStep: globalStep, grant: grant)
    }
}
