import Foundation

/// The learning rate of each global step, a pure function of the step, so every process
/// that applies updates (the one-process server, the coordinator's, each `server start`
/// shard) computes the same rate without being told, and a resumed run continues the curve:
///
///     warm-up    step g < W:  lr · (g + 1) / W
///     constant   lr
///     cosine     lr · (1 + cos(π · (g − W) / (T − W))) / 2,  T = epochs × steps per epoch
///     plateau    lr · factorʳ, r = reductions so far (PyTorch's ReduceLROnPlateau, seed 003's)
///
/// (`training.schedule`, `training.warmup_steps`). With cosine, `training.epochs` sets the
/// curve's length: a run resumed with more epochs stretches the rest of it. With plateau,
/// r is a pure function of the validation history (`reductions(scores:)`), which the
/// coordinator keeps; processes that apply updates are told r with each step's grant.
public struct LearningRateSchedule: Sendable, Equatable {
    public let base: Float
    public let kind: OptimisationSettings.Schedule
    public let warmupSteps: Int
    public let totalSteps: Int
    public let plateauFactor: Float
    public let plateauPatience: Int

    public init(_ training: OptimisationSettings, stepsPerEpoch: Int) {
        base = training.learningRate
        kind = training.schedule
        warmupSteps = training.warmupSteps
        totalSteps = max(1, training.epochs * stepsPerEpoch)
        plateauFactor = training.plateauFactor
        plateauPatience = training.plateauPatience
    }

    /// The rate of 0-based global step `step`, after `reductions` plateaus (plateau only).
    public func rate(step: Int, reductions: Int = 0) -> Float {
        if step < warmupSteps { return base * Float(step + 1) / Float(warmupSteps) }
        switch kind {
        case .constant: return base
        case .cosine:
            let progress = min(1, Double(step - warmupSteps) / Double(max(1, totalSteps - warmupSteps)))
            return base * Float((1 + cos(Double.pi * progress)) / 2)
        case .plateau: return base * Float(pow(Double(plateauFactor), Double(reductions)))
        }
    }

    /// Plateaus in a history of validation scores (oldest first; `minimising` for error
    /// metrics): as ReduceLROnPlateau, the rate is cut once more than `plateauPatience`
    /// evaluations in a row brought no improvement on the best, and that count starts over.
    /// 0 unless the schedule is plateau.
    public func reductions(scores: [Double], minimising: Bool) -> Int {
        guard kind == .plateau else { return 0 }
        var best = minimising ? Double.infinity : -.infinity, bad = 0, reductions = 0
        for score in scores {
            if minimising ? score < best : score > best { best = score; bad = 0 } else { bad += 1 }
            if bad > plateauPatience { reductions += 1; bad = 0 }
        }
        return reductions
    }
}
