/// A node of the reverse-mode autodiff graph: a tensor value, its gradient, and how to pass
/// an incoming gradient back to the nodes it was computed from.
///
/// Graphs are built by calling ops (`matmul`, `+`, `gather`, …) and torn down when the last
/// reference goes; `backward()` on a scalar result fills `grad` of every node that needs it.
///
/// ```
///  x ──┐
///      ├─ matmul ─ relu ─ sum ─▶ loss     loss.backward():  walks right to left,
///  W ──┘                                   each op's `pullback` adds into its inputs' grad
/// ```
public final class Variable {
    /// The forward value.
    public var value: Tensor
    /// d(loss)/d(value), filled by `backward()`; nil until something flows in.
    public var grad: Tensor?
    /// Whether gradients flow into this node (parameters, and anything computed from them).
    public let requiresGrad: Bool
    /// A name for parameters (`encoder.layer0.weight`); empty for intermediates.
    public var name: String

    let inputs: [Variable]
    /// Receives this node's gradient and accumulates into the inputs' gradients.
    private(set) var pullback: ((Tensor) -> Void)?

    /// A leaf: a constant (`requiresGrad: false`) or a trainable parameter.
    public init(_ value: Tensor, requiresGrad: Bool = false, name: String = "") {
        self.value = value
        self.requiresGrad = requiresGrad
        self.name = name
        self.inputs = []
        self.pullback = nil
    }

    /// An op result. It requires grad when any input does; `pullback` runs only then.
    init(_ value: Tensor, inputs: [Variable], pullback: @escaping (Tensor) -> Void) {
        self.value = value
        self.inputs = inputs
        self.requiresGrad = inputs.contains { $0.requiresGrad }
        self.name = ""
        self.pullback = requiresGrad ? pullback : nil
    }

    /// A leaf whose gradient goes somewhere other than `grad` (e.g. an embedding table's
    /// row-gradient buffer); `sink` receives the gradient of this node's value.
    init(_ value: Tensor, gradientSink sink: @escaping (Tensor) -> Void) {
        self.value = value
        self.inputs = []
        self.requiresGrad = true
        self.name = ""
        self.pullback = sink
    }

    /// Shape of the value.
    public var shape: [Int] { value.shape }

    /// Adds `g` into this node's gradient.
    func accumulate(_ g: Tensor) {
        guard requiresGrad else { return }
        precondition(g.shape == value.shape || g.count == value.count,
                     "gradient shape \(g.shape) does not match value shape \(value.shape)")
        if var existing = grad {
            grad = nil  // keep the buffer uniquely referenced so += does not copy
            existing.data.withUnsafeMutableBufferPointer { dst in
                g.data.withUnsafeBufferPointer { src in
                    for i in 0..<dst.count { dst[i] += src[i] }
                }
            }
            grad = existing
        } else {
            grad = g.shape == value.shape ? g : g.reshaped(value.shape)
        }
    }
}

// MARK: - Backward pass

extension Variable {
    /// Back-propagates from this node. With no `seed`, the node must hold one element and
    /// its gradient starts at 1.
    ///
    /// `releasing`: the graph is used once (a training step). Each op result's value and
    /// saved tensors are dropped as soon as its pullback has run (every consumer's ran
    /// before it), so the forward's activations are freed while the gradients are made
    /// instead of all living until the end; this node's value and the leaves stay.
    public func backward(seed: Tensor? = nil, releasing: Bool = false) {
        let start = seed ?? {
            precondition(value.count == 1, "backward() without a seed needs a scalar, got \(value.shape)")
            return Tensor(shape: value.shape, repeating: 1)
        }()
        guard requiresGrad else { return }
        accumulate(start)
        for node in topologicalOrder().reversed() {
            guard let pullback = node.pullback else { continue }
            if let g = node.grad {
                pullback(g)
                // Once passed on, a gradient is spent: clearing it keeps a second backward through
                // the same node (e.g. a table lookup) from passing it on twice. Parameters have no
                // pullback and keep theirs.
                node.grad = nil
            }
            if releasing {
                node.pullback = nil
                if node !== self { node.value = Tensor(shape: [0], data: []) }
            }
        }
    }

    /// Nodes that require grad, each after all of its inputs (iterative DFS: graphs can be deep).
    private func topologicalOrder() -> [Variable] {
        var order: [Variable] = []
        var visited = Set<ObjectIdentifier>()
        var stack: [(Variable, Bool)] = [(self, false)]
        while let (node, expanded) = stack.popLast() {
            if expanded { order.append(node); continue }
            let id = ObjectIdentifier(node)
            if visited.contains(id) { continue }
            visited.insert(id)
            stack.append((node, true))
            for input in node.inputs where input.requiresGrad && !visited.contains(ObjectIdentifier(input)) {
                stack.append((input, false))
            }
        }
        return order
    }

    /// Clears the gradient.
    public func zeroGrad() { grad = nil }
}
