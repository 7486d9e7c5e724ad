import TrellisTraining
import XCTest

/// The learning rate as a function of the global step: warm-up, then constant or cosine.
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

    func testScheduleKeysParseAndRoundTrip() throws {
        let c = try TrainingConfig.parse(yaml: "training: {schedule: cosine, warmup_steps: 100}")
        XCTAssertEqual(c.training.schedule, .cosine)
        XCTAssertEqual(c.training.warmupSteps, 100)
        XCTAssertEqual(try TrainingConfig.parse(yaml: c.spec), c)
        XCTAssertThrowsError(try TrainingConfig.parse(yaml: "training: {schedule: linear}")) { error in
            XCTAssertEqual((error as? ConfigError)?.key, "training.schedule")
        }
        XCTAssertThrowsError(try TrainingConfig.parse(yaml: "training: {warmup_steps: -1}"))
    }
}
