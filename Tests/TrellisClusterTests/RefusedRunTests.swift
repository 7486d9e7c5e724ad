import TrellisCluster
import TrellisCore
import TrellisTensor
import TrellisTraining
import XCTest

/// Runs that cannot work are refused before anything changes, and a diverging run stops with
/// an error that names where.
extension ClusterEngineTests {
    func testMorePartitionsThanUsersIsRefused() throws {
        let data = dataset()
        XCTAssertThrowsError(try TrainingPlan(config: config(partitions: data.userCount + 1), dataset: data)) { error in
            let text = "\(error)"
            XCTAssert(text.contains("cluster.partitions") && text.contains("\(data.userCount + 1)")
                      && text.contains("\(data.userCount) users"), text)
        }
        XCTAssertNoThrow(try TrainingPlan(config: config(partitions: data.userCount), dataset: data))
    }

    func testDivergingRunStopsNamingTheStep() throws {
        var c = config("bpr", partitions: 2)
        c.training.optimizer = .sgd
        c.training.learningRate = 1e30
        let engine = try EmbeddedEngine(config: c, dataset: dataset())
        XCTAssertThrowsError(try engine.fit()) { error in
            guard let e = error as? DivergenceError else { return XCTFail("not a divergence: \(error)") }
            XCTAssertEqual(e.epoch, 1)
            XCTAssertGreaterThanOrEqual(e.step, 1)
            XCTAssert(e.description.hasPrefix("training diverged at epoch 1, step \(e.step): loss "), e.description)
            XCTAssert(e.description.contains("training.learning_rate"), e.description)
        }
    }

    func testServerRefusesANonFiniteLossWithoutApplyingIt() throws {
        let plan = try TrainingPlan(config: config("bpr", partitions: 1), dataset: dataset())
        let run = try TrainingRun(plan: plan, dataset: dataset())
        let before = run.snapshot()
        var c = Contribution.empty(step: StepID(epoch: 1, step: 0), partition: 0,
                                   tables: plan.tables.map(\.dimension), denseCount: run.server.store.dense.count)
        c.loss = .nan
        c.share = 1
        XCTAssertThrowsError(try run.server.accept(c, globalStep: 0)) { error in
            XCTAssertEqual("\(error)", "training diverged at epoch 1, step 1: loss nan (lower training.learning_rate?)")
        }
        XCTAssertEqual(run.server.cursors, [0], "nothing moved")
        XCTAssertEqual(run.server.version, 0)
        XCTAssertEqual(run.snapshot(), before)
    }
}
