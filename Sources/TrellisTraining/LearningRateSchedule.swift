import Foundation

/// The learning rate of each global step, a pure function of the step, so every process
/// that applies updates (the one-process server, the coordinator's, each `server start`
/// shard) computes the same rate without being told, and a resumed run continues the curve:
///
///     warm-up    step g < W:  lr · (g + 1) / W
///     constant   lr
///     cosine     lr · (1 + cos(π · (g − W) / (T − W))) / 2,  T = epochs × steps per epoch
///
/// (`training.schedule`, `training.warmup_steps`). With cosine, `training.epochs` sets the
/// curve's length: a run resumed with more epochs stretches the rest of it.
public struct LearningRateSchedule: Sendable, Equatable {
    public let base: Float
    public let kind: OptimisationSettings.Schedule
    public let warmupSteps: Int
    public let totalSteps: Int

    public init(_ training: OptimisationSettings, stepsPerEpoch: Int) {
        base = training.learningRate
        kind = training.schedule
        warmupSteps = training.warmupSteps
        totalSteps = max(1, training.epochs * stepsPerEpoch)
    }

    /// The rate of 0-based global step `step`.
    public func rate(step: Int) -> Float {
        if step < warmupSteps { return base * Float(step + 1) / Float(warmupSteps) }
        switch kind {
        case .constant: return base
        case .cosine:
            let progress = min(1, Double(step - warmupSteps) / Double(max(1, totalSteps - warmupSteps)))
            return base * Float((1 + cos(Double.pi * progress)) / 2)
        }
    }
}
