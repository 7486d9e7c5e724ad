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
