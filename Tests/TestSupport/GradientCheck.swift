import XCTest
import TrellisCore
import TrellisTensor

/// Finite-difference gradient checking for any differentiable function of tensors.
///
/// The function's output is reduced to a scalar with fixed random weights w, so every output
/// element's gradient is exercised: L = sum(f(x) * w). Analytic d L/d x comes from
/// `backward(seed: w)`; numeric from central differences (L(x+e) - L(x-e)) / 2e in Double.
public enum GradientCheck {
    /// Fails the calling test when any input element's analytic and numeric gradients differ
    /// by more than `absoluteTolerance + tolerance * |numeric|`. Returns the largest difference.
    @discardableResult
    public static func check(
        _ inputs: [Tensor], epsilon: Float = 1e-2, tolerance: Float = 1e-2, absoluteTolerance: Float = 1e-3, seed: UInt64 = 99,
        file: StaticString = #filePath, line: UInt = #line,
        _ f: ([Variable]) -> Variable
    ) -> Float {
        var rng = SeededGenerator(seed: seed)
        let variables = inputs.map { Variable($0, requiresGrad: true) }
        let output = f(variables)
        let weights = Tensor.uniform(output.shape, low: -1, high: 1, using: &rng)
        output.backward(seed: weights)
        let analytic = variables.map { $0.grad ?? Tensor(shape: $0.shape) }

        func loss(_ xs: [Tensor]) -> Double { weightedSum(f(xs.map { Variable($0) }).value, weights) }
        return compare(analytic, epsilon: epsilon, tolerance: tolerance, absoluteTolerance: absoluteTolerance,
                       label: { "input \($0)" }, file: file, line: line) { k, i, delta in
            var shifted = inputs
            shifted[k].data[i] += delta
            return loss(shifted)
        }
    }

    /// The same check for weights a model holds (its dense parameters, say) rather than inputs
    /// passed in: `f` runs the model and returns its output. Each parameter's value is nudged
    /// in place and put back; its name labels a failure.
    @discardableResult
    public static func checkParameters(
        _ parameters: [Variable], epsilon: Float = 1e-2, tolerance: Float = 1e-2, absoluteTolerance: Float = 1e-3, seed: UInt64 = 99,
        file: StaticString = #filePath, line: UInt = #line,
        _ f: () -> Variable
    ) -> Float {
        var rng = SeededGenerator(seed: seed)
        for p in parameters { p.grad = nil }
        let output = f()
        let weights = Tensor.uniform(output.shape, low: -1, high: 1, using: &rng)
        output.backward(seed: weights)
        let analytic = parameters.map { $0.grad ?? Tensor(shape: $0.shape) }
        return compare(analytic, epsilon: epsilon, tolerance: tolerance, absoluteTolerance: absoluteTolerance,
                       label: { parameters[$0].name }, file: file, line: line) { k, i, delta in
            let original = parameters[k].value
            defer { parameters[k].value = original }
            parameters[k].value.data[i] += delta
            return weightedSum(f().value, weights)
        }
    }

    /// sum(out * weights) in Double.
    private static func weightedSum(_ out: Tensor, _ weights: Tensor) -> Double {
        var total = 0.0
        for i in 0..<out.count { total += Double(out.data[i]) * Double(weights.data[i]) }
        return total
    }

    /// Compares each element of `analytic` with the central difference of `loss(k, i, ±epsilon)`
    /// (the loss with element i of tensor k shifted); fails at the first that differs.
    private static func compare(_ analytic: [Tensor], epsilon: Float, tolerance: Float, absoluteTolerance: Float,
                                label: (Int) -> String, file: StaticString, line: UInt,
                                loss: (Int, Int, Float) -> Double) -> Float {
        var worst: Float = 0
        for (k, gradient) in analytic.enumerated() {
            for i in 0..<gradient.count {
                let numeric = Float((loss(k, i, epsilon) - loss(k, i, -epsilon)) / (2 * Double(epsilon)))
                let a = gradient.data[i]
                let diff = abs(a - numeric)
                worst = max(worst, diff)
                if diff > absoluteTolerance + tolerance * abs(numeric) {
                    XCTFail("\(label(k)) element \(i): analytic \(a) vs numeric \(numeric)", file: file, line: line)
                    return worst
                }
            }
        }
        return worst
    }

    /// Values in [low, high] with magnitude at least `minimumMagnitude`, away from kinks at 0.
    public static func input(_ shape: [Int], low: Float = -2, high: Float = 2, minimumMagnitude: Float = 0.1,
                             seed: UInt64) -> Tensor {
        var rng = SeededGenerator(seed: seed)
        var t = Tensor.uniform(shape, low: low, high: high, using: &rng)
        for i in 0..<t.count where abs(t.data[i]) < minimumMagnitude {
            t.data[i] = t.data[i] < 0 ? -minimumMagnitude - abs(t.data[i]) : minimumMagnitude + t.data[i]
        }
        return t
    }
}
