import TestSupport
import TrellisCluster
import TrellisCore
import TrellisData
import TrellisGraph
import TrellisModels
import TrellisTensor
import TrellisTraining
import XCTest

/// The rating task: its batches are the partition's rated edges, its loss is the MSE a hand
/// computation gives, and a process that lacks the ratings refuses it.
final class RatingTaskTests: XCTestCase {
    /// Edges (user, item, rating) of partition 0.
    let edges: [(Int32, Int32, Float)] = [(0, 0, 4), (1, 1, 2), (0, 1, 5)]

    func task(regularization: Float, mean: Float) throws -> RatingTask {
        var c = TrainingConfig()
        c.task.kind = .rating
        c.model.regWeight = regularization
        var inputs = TaskInputs()
        inputs.links = [0: (edges.map(\.0), edges.map(\.1))]
        inputs.ratings = [0: edges.map(\.2)]
        inputs.exampleCounts = [3, 3]  // a second partition's 3 edges count in the step's total
        inputs.ratingMean = mean
        inputs.ratingScale = 1...5
        return try XCTUnwrap(try TaskRegistry.entry(for: c).make(c, inputs) as? RatingTask)
    }

    func testLossIsMeanSquaredErrorPlusL2OnTheSeedsTimesShare() throws {
        let task = try task(regularization: 0.1, mean: 3)
        XCTAssertEqual(task.globalCount(step: 0), 6)
        let batch = try XCTUnwrap(try task.batch(partition: 0, step: StepID(epoch: 1, step: 0)) as? RatingBatch)
        // The batch holds every edge once, whatever the epoch's order.
        let drawn = (0..<batch.count).map { k in
            "\(batch.users.ids[Int(batch.users.positions[k])]) \(batch.items.ids[Int(batch.items.positions[k])]) \(batch.ratings[k])"
        }
        XCTAssertEqual(drawn.sorted(), edges.map { "\($0.0) \($0.1) \($0.2)" }.sorted())
        // Matrix factorisation: the seeds' rows are the outputs, the score a dot product.
        let users = Tensor(shape: [batch.users.ids.count, 2], data: [0.5, -1, 2, 0.25].prefix(batch.users.ids.count * 2).map { $0 })
        let items = Tensor(shape: [batch.items.ids.count, 2], data: [1, 0.5, -0.5, 1.5].prefix(batch.items.ids.count * 2).map { $0 })
        let u = Variable(users, requiresGrad: true), i = Variable(items, requiresGrad: true)
        let share: Float = 0.5
        let loss = task.loss(outputs: [u, i], inputs: [u, i], batch: batch, share: share, model: ShardedMatrixFactorization())
        var squared: Double = 0, l2: Double = 0
        for k in 0..<batch.count {
            let ur = Array(users.data[Int(batch.users.positions[k]) * 2..<Int(batch.users.positions[k]) * 2 + 2])
            let ir = Array(items.data[Int(batch.items.positions[k]) * 2..<Int(batch.items.positions[k]) * 2 + 2])
            let predicted = 3 + Double(ur[0] * ir[0] + ur[1] * ir[1])
            squared += (predicted - Double(batch.ratings[k])) * (predicted - Double(batch.ratings[k]))
            l2 += Double(ur[0] * ur[0] + ur[1] * ur[1] + ir[0] * ir[0] + ir[1] * ir[1])
        }
        let expected = (squared / 3 + 0.5 * 0.1 * l2 / 3) * Double(share)
        XCTAssertEqual(Double(loss.value.scalar), expected, accuracy: 1e-5)
    }

    func testARatingTaskWithoutRatingsIsRefused() throws {
        var c = TrainingConfig()
        c.task.kind = .rating
        var inputs = TaskInputs()
        inputs.links = [2: ([0], [0])]
        XCTAssertThrowsError(try TaskRegistry.entry(for: c).make(c, inputs)) { error in
            XCTAssert("\(error)".contains("partition 2 has 1 training links but 0 ratings"), "\(error)")
        }
    }

    /// `training.links_per_user` reaches the rating batches: 12 users x 10 edges, runs of 5,
    /// steps of 20 edges hold at most 4 users (a plain shuffle puts about 9 in each).
    func testLinksPerUserGroupsTheRatingBatchesByUser() throws {
        var c = TrainingConfig()
        c.task.kind = .rating
        c.training.linksPerUser = 5
        let users = (0..<120).map { Int32(($0 * 7) % 12) }
        var inputs = TaskInputs()
        inputs.links = [0: (users, (0..<120).map { Int32($0) })]
        inputs.ratings = [0: [Float](repeating: 3, count: 120)]
        inputs.exampleCounts = [120]
        inputs.stepsPerEpoch = 6
        let task = try TaskRegistry.entry(for: c).make(c, inputs)
        for step in 0..<6 {
            let batch = try XCTUnwrap(try task.batch(partition: 0, step: StepID(epoch: 1, step: step)) as? RatingBatch)
            XCTAssertEqual(batch.count, 20)
            XCTAssertLessThanOrEqual(batch.users.ids.count, 4, "step \(step)")
        }
    }

    func testEveryTaskEntryAnswersToOneConfigKind() {
        let names = TaskRegistry.entries.map(\.name)
        XCTAssertEqual(Set(names).count, names.count)
        XCTAssertEqual(Set(names), Set(TaskSettings.Kind.allCases.map(\.rawValue)))
    }
}
