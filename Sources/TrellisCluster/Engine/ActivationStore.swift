import TrellisTensor

/// Where layer-wise evaluation keeps each layer's rows so that any partition can read any
/// node's: layer 0 is the embedding tables, layer l >= 1 what layer l-1 computed, written by
/// row by the partition owning each node. Layer l+1 is written only after every partition's
/// layer l is (a barrier between layers), so a reader never sees a half-written layer.
public protocol ActivationStore: AnyObject {
    /// Rows `ids` of node type `type` at `layer`: (ids.count, d_layer).
    func rows(layer: Int, type: Int, ids: [Int32]) throws -> Tensor
    /// Every row of node type `type` at `layer`: (count_type, d_layer).
    func whole(layer: Int, type: Int) throws -> Tensor
    /// Writes rows `ids` of `type` at `layer` (>= 1); `rows` is (ids.count, d_layer).
    func write(layer: Int, type: Int, ids: [Int32], rows: Tensor) throws
}

/// One layer of an `ActivationStore` as a task reads the model's final outputs.
public struct FinalOutputs {
    public let store: ActivationStore
    public let layer: Int

    public init(store: ActivationStore, layer: Int) {
        self.store = store
        self.layer = layer
    }

    /// (ids.count, d): the outputs of nodes `ids` of `type`.
    public func rows(type: Int, ids: [Int32]) throws -> Tensor { try store.rows(layer: layer, type: type, ids: ids) }
    /// (ids.count, d): the outputs of `ids`, which may repeat; each distinct node is read once
    /// (a read names every node at most once).
    public func gather(type: Int, ids: [Int32]) throws -> Tensor {
        let distinct = Array(Set(ids)).sorted()
        let rows = try self.rows(type: type, ids: distinct)                         // (distinct, d)
        let position = Dictionary(uniqueKeysWithValues: distinct.enumerated().map { ($1, Int32($0)) })
        return rows.rows(ids.map { position[$0]! })
    }

    /// (count_type, d): every output of `type`.
    public func whole(type: Int) throws -> Tensor { try store.whole(layer: layer, type: type) }
}
