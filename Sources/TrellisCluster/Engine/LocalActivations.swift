import TrellisTensor

/// An `ActivationStore` in this process's memory: the tables as layer 0 and node-sized
/// tensors per written layer. Writing layer l drops layers 1..<l-1, so at most two layers of
/// rows are held besides the tables (what PyG's `inference` holds).
public final class LocalActivations: ActivationStore {
    /// (count_t, d_0) per node type.
    let tables: [Tensor]
    /// layer -> (count_t, d_layer) per node type, allocated on the first write to a type.
    var layers: [Int: [Tensor?]] = [:]

    public init(tables: [Tensor]) {
        self.tables = tables
    }

    /// Sets every row of `layer` at once (a whole-graph model's outputs).
    public func set(layer: Int, outputs: [Tensor]) {
        precondition(layer >= 1 && outputs.count == tables.count, "LocalActivations: layer \(layer) of \(outputs.count) types")
        layers[layer] = outputs
    }

    public func rows(layer: Int, type: Int, ids: [Int32]) throws -> Tensor {
        try whole(layer: layer, type: type).rows(ids)
    }

    public func whole(layer: Int, type: Int) throws -> Tensor {
        if layer == 0 { return tables[type] }
        guard let tensor = layers[layer]?[type] else {
            throw PlanError("activations: layer \(layer) of node type \(type) was never written")
        }
        return tensor
    }

    public func write(layer: Int, type: Int, ids: [Int32], rows: Tensor) throws {
        precondition(layer >= 1, "LocalActivations: layer 0 is the tables")
        let count = tables[type].shape[0], width = rows.shape.count == 2 ? rows.shape[1] : 0
        // Everything checked before a row moves.
        guard rows.shape == [ids.count, width] else {
            throw PlanError("activations: \(rows.shape) rows written for \(ids.count) ids of node type \(type)")
        }
        if let bad = ids.first(where: { $0 < 0 || Int($0) >= count }) {
            throw PlanError("activations: node \(bad) of type \(type) out of 0..<\(count)")
        }
        if let existing = layers[layer]?[type], existing.shape[1] != width {
            throw PlanError("activations: layer \(layer) rows of width \(width), expected \(existing.shape[1])")
        }
        if layers[layer] == nil {
            for old in layers.keys where old < layer - 1 { layers[old] = nil }
            layers[layer] = Array(repeating: nil, count: tables.count)
        }
        var tensor = layers[layer]![type] ?? Tensor(shape: [count, width])
        layers[layer]![type] = nil  // so the storage is not copied on write
        tensor.data.withUnsafeMutableBufferPointer { out in
            rows.data.withUnsafeBufferPointer { src in
                for (k, id) in ids.enumerated() {
                    let to = Int(id) * width, from = k * width
                    for j in 0..<width { out[to + j] = src[from + j] }
                }
            }
        }
        layers[layer]![type] = tensor
    }
}
