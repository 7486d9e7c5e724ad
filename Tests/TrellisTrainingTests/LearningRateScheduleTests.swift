import TrellisTraining
import XCTest

/// The learning rate as a function of the global step: warm-up, then constant, cosine or
/// cut on plateaus of the validation history.
final class LearningRateScheduleTests: XCTestCase {
    func settings(_ schedule: OptimisationSettings.Schedule, warmup: Int) -> OptimisationSettings {
        var t = OptimisationSettings()
        t.learningRate = 0.01
        t.epochs = 3
        t.schedule = schedule
        t.warmupSteps = warmup
        return t
    }

    func testWarmUpThenConstantOrCosine() {
        let constant = LearningRateSchedule(settings(.constant, warmup: 4), stepsPerEpoch: 10)
        XCTAssertEqual((0..<6).map { constant.rate(step: $0) }, [0.0025, 0.005, 0.0075, 0.01, 0.01, 0.01])
        let cosine = LearningRateSchedule(settings(.cosine, warmup: 4), stepsPerEpoch: 12)   // 36 steps, 32 after warm-up
        XCTAssertEqual(cosine.rate(step: 3), 0.01)
        XCTAssertEqual(cosine.rate(step: 4), 0.01, accuracy: 1e-9, "the curve starts at the base rate")
        XCTAssertEqual(cosine.rate(step: 20), 0.005, accuracy: 1e-6, "half way")
        XCTAssertEqual(cosine.rate(step: 36), 0, accuracy: 1e-9)
        XCTAssertEqual(cosine.rate(step: 99), 0, accuracy: 1e-9, "past the end it stays at 0")
        XCTAssertEqual(LearningRateSchedule(settings(.constant, warmup: 0), stepsPerEpoch: 5).rate(step: 0), 0.01)
    }

    /// ReduceLROnPlateau's rule: a cut once more than `patience` evaluations in a row did not
    /// beat the best, then the count starts over; warm-up still comes first.
    func testPlateauCutsAfterPatienceEvaluationsWithoutImprovement() {
        var t = settings(.plateau, warmup: 2)
        t.plateauPatience = 1
        let plateau = LearningRateSchedule(t, stepsPerEpoch: 10)
        XCTAssertEqual(plateau.reductions(scores: [0.1, 0.2, 0.2], minimising: false), 0, "one evaluation without improvement is tolerated")
        XCTAssertEqual(plateau.reductions(scores: [0.1, 0.2, 0.2, 0.15], minimising: false), 1)
        XCTAssertEqual(plateau.reductions(scores: [0.1, 0.2, 0.2, 0.15, 0.3, 0.3, 0.3, 0.3], minimising: false), 2)
        XCTAssertEqual(plateau.reductions(scores: [0.1, 0.2, 0.2, 0.1, 0.1, 0.1], minimising: false), 2, "the count starts over after a cut")
        XCTAssertEqual(plateau.reductions(scores: [0.9, 0.8, 0.8, 0.8], minimising: true), 1, "rmse improves downwards")
        XCTAssertEqual(plateau.reductions(scores: [0.1, .nan, .nan], minimising: false), 1, "NaN never improves")
        XCTAssertEqual(plateau.rate(step: 0, reductions: 3), 0.005, "warm-up first")
        XCTAssertEqual(plateau.rate(step: 5, reductions: 0), 0.01)
        XCTAssertEqual(plateau.rate(step: 5, reductions: 2), 0.0025)
        t.plateauPatience = 0
        t.plateauFactor = 0.1
        let eager = LearningRateSchedule(t, stepsPerEpoch: 10)
        XCTAssertEqual(eager.reductions(scores: [0.1, 0.1, 0.1], minimising: false), 2)
        XCTAssertEqual(eager.rate(step: 5, reductions: 2), 0.0001, accuracy: 1e-9)
        XCTAssertEqual(LearningRateSchedule(settings(.constant, warmup: 0), stepsPerEpoch: 10).reductions(scores: [1, 0, 0, 0], minimising: false), 0,
                       "only the plateau schedule counts cuts")
    }

    func testScheduleKeysParseAndRoundTrip() throws {
        let c = try TrainingConfig.parse(yaml: "training: {schedule: cosine, warmup_steps: 100}")
        XCTAssertEqual(c.training.schedule, .cosine)
        XCTAssertEqual(c.training.warmupSteps, 100)
        XCTAssertEqual(try TrainingConfig.parse(yaml: c.spec), c)
        XCTAssertThrowsError(try TrainingConfig.parse(yaml: "training: {schedule: linear}")) { error in
            XCTAssertEqual((error as? ConfigError)?.key, "training.schedule")
        }
        XCTAssertThrowsError(try TrainingConfig.parse(yaml: "training: {warmup_steps: -1}"))
        let p = try TrainingConfig.parse(yaml: "training: {schedule: plateau, plateau_factor: 0.25, plateau_patience: 3}")
        XCTAssertEqual([p.training.plateauFactor, Float(p.training.plateauPatience)], [0.25, 3])
        XCTAssertEqual(try TrainingConfig.parse(yaml: p.spec), p)
        for (bad, key) in [("plateau_factor: 1", "training.plateau_factor"), ("plateau_factor: 0", "training.plateau_factor"),
                           ("plateau_patience: -1", "training.plateau_patience")] {
            XCTAssertThrowsError(try TrainingConfig.parse(yaml: "training: {schedule: plateau, \(bad)}")) { error in
                XCTAssertEqual((error as? ConfigError)?.key, key)
            }
        }
    }
}
