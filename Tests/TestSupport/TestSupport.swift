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

        func loss(_ xs: [Tensor]) -> Double {
            let out = f(xs.map { Variable($0) }).value
            var total = 0.0
            for i in 0..<out.count { total += Double(out.data[i]) * Double(weights.data[i]) }
            return total
        }

        var worst: Float = 0
        for (k, input) in inputs.enumerated() {
            for i in 0..<input.count {
                var plus = inputs, minus = inputs
                plus[k].data[i] += epsilon
                minus[k].data[i] -= epsilon
                let numeric = Float((loss(plus) - loss(minus)) / (2 * Double(epsilon)))
                let a = analytic[k].data[i]
                let diff = abs(a - numeric)
                worst = max(worst, diff)
                if diff > absoluteTolerance + tolerance * abs(numeric) {
                    XCTFail("input \(k) element \(i): analytic \(a) vs numeric \(numeric)", file: file, line: line)
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

/// Asserts two float arrays agree element-wise within `accuracy`.
public func assertClose(_ a: [Float], _ b: [Float], accuracy: Float = 1e-5,
                        file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, "lengths differ", file: file, line: line)
    for (i, (x, y)) in zip(a, b).enumerated() where abs(x - y) > accuracy * max(1, abs(y)) {
        XCTFail("element \(i): \(x) vs \(y)", file: file, line: line)
        return
    }
}

/// Where test data lives: `$TRELLIS_DATA_DIR`, else `data/` at the package root.
public enum TestData {
    public static var directory: String {
        if let dir = ProcessInfo.processInfo.environment["TRELLIS_DATA_DIR"] { return dir }
        // Tests/TestSupport/TestSupport.swift -> package root
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent("data").path
    }

    /// Path of MovieLens-100K's RecBole interaction file; fails the test (with how to fetch it)
    /// when absent, since CI fetches it first.
    public static func movieLens100K(file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let path = directory + "/ml-100k/ml-100k.inter"
        guard FileManager.default.fileExists(atPath: path) else {
            XCTFail("\(path) is missing: run `bash deploy/fetch-ml100k.sh data` first", file: file, line: line)
            throw CocoaError(.fileNoSuchFile)
        }
        return path
    }

    /// A fresh temporary folder.
    public static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("trellis-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// Bytes a hostile peer would send.
public enum HostileBytes {
    /// A valid LZ4 block that inflates to `size` zero bytes from about size / 255 bytes: one
    /// literal, one long match at offset 1, and the five literals LZ4 requires at the end.
    public static func zeroBomb(_ size: Int) -> [UInt8] {
        precondition(size >= 25)
        var out: [UInt8] = [0x1F, 0, 1, 0]  // 1 literal (0), match length 15 + extension, offset 1
        var rest = size - 6 - 4 - 15
        while rest >= 255 { out.append(255); rest -= 255 }
        out.append(UInt8(rest))
        return out + [0x50, 0, 0, 0, 0, 0]
    }
}
