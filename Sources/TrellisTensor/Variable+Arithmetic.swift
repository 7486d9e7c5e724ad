/// Element-wise arithmetic with broadcasting. Gradients of a broadcast operand are summed
/// back down to its own shape.
extension Variable {
    public static func + (a: Variable, b: Variable) -> Variable {
        Variable(Broadcast.apply(a.value, b.value, +), inputs: [a, b]) { g in
            a.accumulate(Broadcast.reduce(g, to: a.shape))
            b.accumulate(Broadcast.reduce(g, to: b.shape))
        }
    }

    public static func - (a: Variable, b: Variable) -> Variable {
        Variable(Broadcast.apply(a.value, b.value, -), inputs: [a, b]) { g in
            a.accumulate(Broadcast.reduce(g, to: a.shape))
            if b.requiresGrad { b.accumulate(Broadcast.reduce(g.map { -$0 }, to: b.shape)) }
        }
    }

    public static func * (a: Variable, b: Variable) -> Variable {
        Variable(Broadcast.apply(a.value, b.value, *), inputs: [a, b]) { g in
            if a.requiresGrad { a.accumulate(Broadcast.reduce(Broadcast.apply(g, b.value, *), to: a.shape)) }
            if b.requiresGrad { b.accumulate(Broadcast.reduce(Broadcast.apply(g, a.value, *), to: b.shape)) }
        }
    }

    public static func / (a: Variable, b: Variable) -> Variable {
        Variable(Broadcast.apply(a.value, b.value, /), inputs: [a, b]) { g in
            if a.requiresGrad { a.accumulate(Broadcast.reduce(Broadcast.apply(g, b.value, /), to: a.shape)) }
            if b.requiresGrad {
                // d(a/b)/db = -a / b^2
                let ab2 = Broadcast.apply(a.value, b.value) { x, y in -x / (y * y) }
                b.accumulate(Broadcast.reduce(Broadcast.apply(g, ab2, *), to: b.shape))
            }
        }
    }

    public static prefix func - (a: Variable) -> Variable {
        Variable(a.value.map { -$0 }, inputs: [a]) { g in a.accumulate(g.map { -$0 }) }
    }

    // MARK: Scalars

    public static func * (a: Variable, s: Float) -> Variable {
        Variable(a.value.map { $0 * s }, inputs: [a]) { g in a.accumulate(g.map { $0 * s }) }
    }

    public static func * (s: Float, a: Variable) -> Variable { a * s }

    public static func + (a: Variable, s: Float) -> Variable {
        Variable(a.value.map { $0 + s }, inputs: [a]) { g in a.accumulate(g) }
    }

    public static func - (a: Variable, s: Float) -> Variable { a + (-s) }

    public static func / (a: Variable, s: Float) -> Variable { a * (1 / s) }

    /// A constant (no gradient) from a tensor.
    public static func constant(_ t: Tensor) -> Variable { Variable(t) }

    /// A constant scalar.
    public static func constant(_ s: Float) -> Variable { Variable(Tensor(scalar: s)) }
}
