import TrellisCore

// MARK: Seeded test data

extension SeededGenerator {
    /// `count` random bytes.
    mutating func bytes(_ count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8(truncatingIfNeeded: next()) }
    }

    /// Uniform in 0..<bound.
    mutating func int(_ bound: Int) -> Int { nextInt(below: bound) }

    /// Gradient-like values: gaussian with standard deviation `scale`, some exact zeros.
    mutating func gradient(_ count: Int, scale: Float = 1e-3) -> [Float] {
        (0..<count).map { _ in nextFloat() < 0.05 ? 0 : nextNormal() * scale }
    }
}
