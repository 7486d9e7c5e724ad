import TrellisCore

/// A dense, row-major float32 array with a shape.
///
/// `Tensor` is a value: copies share storage until one is written (Swift's copy-on-write
/// arrays). Differentiation lives one level up, in `Variable`; kernels work on tensors.
public struct Tensor: Sendable, Equatable {
    /// Extent of each dimension, outermost first; `[]` is a scalar.
    public private(set) var shape: [Int]
    /// The elements in row-major order; `data.count == shape.product`.
    public var data: [Float]

    /// A tensor of `shape` holding `data` (row-major).
    public init(shape: [Int], data: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        precondition(shape.reduce(1, *) == data.count,
                     "shape \(shape) needs \(shape.reduce(1, *)) elements, got \(data.count)")
        self.shape = shape
        self.data = data
    }

    /// A tensor of `shape` with every element `value`.
    public init(shape: [Int], repeating value: Float = 0) {
        self.init(shape: shape, data: [Float](repeating: value, count: shape.reduce(1, *)))
    }

    /// A scalar tensor.
    public init(scalar: Float) { self.init(shape: [], data: [scalar]) }

    /// Number of elements.
    @inlinable public var count: Int { data.count }
    /// Number of dimensions.
    @inlinable public var rank: Int { shape.count }
    /// The single element of a one-element tensor.
    public var scalar: Float {
        precondition(data.count == 1, "scalar of a tensor with shape \(shape)")
        return data[0]
    }

    /// The same elements under a new shape with as many elements.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var copy = self
        copy.reshape(newShape)
        return copy
    }

    /// Changes the shape in place; the element count must not change.
    public mutating func reshape(_ newShape: [Int]) {
        precondition(newShape.reduce(1, *) == data.count, "cannot reshape \(shape) to \(newShape)")
        shape = newShape
    }
}

// MARK: - Initialisers that draw from a seeded generator

extension Tensor {
    /// Zeros of `shape`.
    public static func zeros(_ shape: [Int]) -> Tensor { Tensor(shape: shape) }

    /// Ones of `shape`.
    public static func ones(_ shape: [Int]) -> Tensor { Tensor(shape: shape, repeating: 1) }

    /// Normal(mean, std) draws.
    public static func normal(_ shape: [Int], mean: Float = 0, std: Float, using rng: inout SeededGenerator) -> Tensor {
        let n = shape.reduce(1, *)
        var values = [Float](repeating: 0, count: n)
        for i in 0..<n { values[i] = mean + std * rng.nextNormal() }
        return Tensor(shape: shape, data: values)
    }

    /// Uniform(low, high) draws.
    public static func uniform(_ shape: [Int], low: Float, high: Float, using rng: inout SeededGenerator) -> Tensor {
        let n = shape.reduce(1, *)
        var values = [Float](repeating: 0, count: n)
        for i in 0..<n { values[i] = low + (high - low) * rng.nextFloat() }
        return Tensor(shape: shape, data: values)
    }

    /// Xavier/Glorot normal for a (fanOut, fanIn)-like 2-D shape: std = sqrt(2 / (fanIn + fanOut)).
    public static func xavierNormal(_ shape: [Int], using rng: inout SeededGenerator) -> Tensor {
        precondition(shape.count >= 2, "xavierNormal needs at least 2 dimensions")
        let fanIn = shape[shape.count - 1] * shape.dropLast(2).reduce(1, *)
        let fanOut = shape[shape.count - 2] * shape.dropLast(2).reduce(1, *)
        return normal(shape, std: (2.0 / Float(fanIn + fanOut)).squareRoot(), using: &rng)
    }

    /// Xavier/Glorot uniform: U(-a, a) with a = sqrt(6 / (fanIn + fanOut)).
    public static func xavierUniform(_ shape: [Int], using rng: inout SeededGenerator) -> Tensor {
        precondition(shape.count >= 2, "xavierUniform needs at least 2 dimensions")
        let fanIn = shape[shape.count - 1], fanOut = shape[shape.count - 2]
        let a = (6.0 / Float(fanIn + fanOut)).squareRoot()
        return uniform(shape, low: -a, high: a, using: &rng)
    }
}

// MARK: - Buffers

extension Array where Element == Float {
    /// A buffer of `count` floats that `fill` must write completely; skips the zero-fill that
    /// `init(repeating:count:)` would do (a visible cost on every op of a training step).
    @inline(__always)
    static func uninitialized(count: Int, _ fill: (UnsafeMutableBufferPointer<Float>) -> Void) -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { buffer, initialised in
            fill(buffer)
            initialised = count
        }
    }
}
