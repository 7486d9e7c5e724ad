import TestSupport
import TrellisCluster
import TrellisCore
import TrellisData
import TrellisGraph
import TrellisModels
import TrellisTensor
import TrellisTraining
import XCTest

/// The next-item task: windows cut each user's time-ordered links as the per-position scheme
/// says, a batch is left-padded, SASRec learns a sequential pattern with either loss, and
/// the registries refuse a model and task that do not fit.
final class NextItemTaskTests: XCTestCase {
    /// 48 users over 24 items, each a chain i, i+1, i+2, ... (mod 24) of 10 to 17 items from a
    /// random start, every third user's chain stepping by 2, a quarter of the steps a random
    /// item instead: the next item mostly follows from the last ones, which no popularity count
    /// can tell, and no model can always tell.
    static func chains() -> PreparedDataset {
        PreparedDataset(name: "chains", split: DatasetSplit.leaveOneOut(chainsTable()))
    }

    static func chainsTable() -> InteractionTable {
        var users: [Int32] = [], items: [Int32] = []
        var rng = SeededGenerator(seed: 5)
        for u in 0..<48 {
            var item = Int32(rng.next() % 24)
            let stride: Int32 = u % 3 == 0 ? 2 : 1
            for _ in 0..<(10 + rng.next() % 8) {
                users.append(Int32(u))
                items.append(item)
                item = rng.next() % 4 == 0 ? Int32(rng.next() % 24) : (item + stride) % 24
            }
        }
        // The file lists the events shuffled: only the timestamps give each user's order.
        var rows = Array(users.indices)
        rng.shuffle(&rows)
        return InteractionTable(users: rows.map { users[$0] }, items: rows.map { items[$0] }, ratings: rows.map { _ in 1 },
                                timestamps: rows.map(Double.init),
                                userIDs: IDMap((0..<48).map { "u\($0)" }), itemIDs: IDMap((0..<24).map { "i\($0)" }))
    }

    static func config(loss: TaskSettings.Loss = .softmax, partitions: Int = 2) -> TrainingConfig {
        var c = ClusterEngineTests.config("sasrec", partitions: partitions)
        c.task.kind = .nextItem
        c.task.loss = loss
        c.model.maxLength = 8
        c.model.blocks = 1
        c.model.dropout = 0.1
        c.training.optimizer = .adamw
        c.training.batchSize = 16
        c.training.epochs = 30
        return c
    }

    func testWindowsCutEachSequenceIntoRunsOfTargetsFromTheEnd() throws {
        // User 3: items 10...14 in link order, interleaved with user 1's 20, 21.
        let users: [Int32] = [3, 1, 3, 3, 1, 3, 3], items: [Int32] = [10, 20, 11, 12, 21, 13, 14]
        let sequences = UserSequences(users: users, items: items)
        XCTAssertEqual(sequences.users, [1, 3])
        XCTAssertEqual(Array(sequences.sequence(1)), [10, 11, 12, 13, 14], "link order kept")
        XCTAssertEqual(sequences.index(of: 3), 1)
        XCTAssertNil(sequences.index(of: 2))
        // L = 3: user 3's targets 11...14 make [12 13 14 | inputs 11 12 13] and [11 | input 10]; user 1's one.
        var c = Self.config(partitions: 1)
        for (length, windows) in [(3, 3), (2, 3), (1, 5)] {
            c.model.maxLength = length
            XCTAssertEqual(TaskEntry.nextItem.examples(c, users), windows, "max_length \(length)")
        }
        c.model.maxLength = 3
        var inputs = TaskInputs()
        inputs.links = [0: (users, items)]
        inputs.exampleCounts = [3]
        inputs.itemCount = 30
        let task = NextItemTask(config: c, inputs: inputs)
        let batch = try XCTUnwrap(try task.batch(partition: 0, step: StepID(epoch: 1, step: 0)) as? SequenceBatch)
        XCTAssertEqual(batch.count, 3)
        XCTAssertEqual(batch.items, (0..<30).map { Int32($0) }, "a softmax batch reads every item")
        var windows: [[Int32]] = []
        for b in 0..<3 { windows.append(Array(batch.inputs[b * 3..<b * 3 + 3]) + Array(batch.targets[b * 3..<b * 3 + 3])) }
        XCTAssertEqual(windows.map { "\($0)" }.sorted(),
                       ["[-1, -1, 10, -1, -1, 11]", "[-1, -1, 20, -1, -1, 21]", "[11, 12, 13, 12, 13, 14]"])
        // Every prefix predicting the item after it, from its last position only.
        c.task.positions = .last
        XCTAssertEqual(TaskEntry.nextItem.examples(c, users), 5)
        inputs.exampleCounts = [5]
        let last = try XCTUnwrap(try NextItemTask(config: c, inputs: inputs).batch(partition: 0, step: StepID(epoch: 1, step: 0)) as? SequenceBatch)
        windows = (0..<5).map { b in Array(last.inputs[b * 3..<b * 3 + 3]) + Array(last.targets[b * 3..<b * 3 + 3]) }
        XCTAssertEqual(windows.map { "\($0)" }.sorted(),
                       ["[-1, -1, 10, -1, -1, 11]", "[-1, -1, 20, -1, -1, 21]", "[-1, 10, 11, -1, -1, 12]",
                        "[10, 11, 12, -1, -1, 13]", "[11, 12, 13, -1, -1, 14]"])
        c.task.positions = .all
        inputs.exampleCounts = [3]
        // bce: the rows are the batch's own items, a negative beside every target and never the target.
        c.task.loss = .bce
        let bce = try XCTUnwrap(try NextItemTask(config: c, inputs: inputs).batch(partition: 0, step: StepID(epoch: 1, step: 0)) as? SequenceBatch)
        for k in bce.targets.indices {
            XCTAssertEqual(bce.targets[k] < 0, bce.negatives[k] < 0)
            if bce.targets[k] >= 0 { XCTAssertNotEqual(bce.items[Int(bce.targets[k])], bce.items[Int(bce.negatives[k])]) }
        }
        XCTAssert(Set([10, 11, 12, 13, 14, 20, 21] as [Int32]).isSubset(of: Set(bce.items)))
    }

    /// Trained, SASRec ranks the next item of a chain far above the untrained model, with the
    /// full softmax, BCE and a sampled softmax (6 drawn items a batch), at every position or the
    /// last; the loss falls.
    func testSASRecLearnsWhatComesNext() throws {
        for (loss, positions) in [(TaskSettings.Loss.softmax, TaskSettings.Positions.all), (.bce, .all), (.softmax, .last), (.sampledSoftmax, .last)] {
            var c = Self.config(loss: loss)
            c.task.positions = positions
            c.training.negatives = 6
            let engine = try EmbeddedEngine(config: c, dataset: Self.chains())
            XCTAssertEqual(engine.stepper.model.name, "sasrec")
            let untrained = try XCTUnwrap(engine.run.evaluate(.test)["hit@5"])
            let summary = try engine.fit()
            let trained = try XCTUnwrap(summary.test["hit@5"])
            XCTAssertGreaterThan(trained, untrained + 0.3, "\(loss) \(positions): untrained \(untrained), trained \(trained)")
            XCTAssertLessThan(trained, 0.95, "\(loss) \(positions): the noise leaves something unpredictable")
            XCTAssertEqual(summary.test["users"], 48)
            let losses = summary.records.map(\.loss)
            XCTAssertLessThan(try XCTUnwrap(losses.last), 0.8 * (try XCTUnwrap(losses.first)), "\(loss) \(positions): \(losses)")
        }
    }

    /// Seed 003's split: held-out users never trained on are predicted at every position
    /// after their first from the items before it (one ranked list per example), and SASRec
    /// trained on the other users' chains ranks their next items far above the untrained
    /// model and above popularity ranked by the same protocol.
    func testHeldOutUsersArePredictedAtEveryPositionFromTheirOwnItems() throws {
        let split = DatasetSplit.byUser(Self.chainsTable(), ratios: [0.6, 0.2, 0.2], seed: 3)
        var c = Self.config()
        c.data.split = .users
        c.data.ratios = [0.6, 0.2, 0.2]
        let engine = try EmbeddedEngine(config: c, dataset: PreparedDataset(name: "chains", split: split))
        let untrained = engine.run.evaluate(.test)
        let lengths = Dictionary(grouping: split.test.users, by: { $0 }).values.map(\.count)
        XCTAssertEqual(lengths.count, 10)
        XCTAssertEqual(untrained["users"], Double(lengths.reduce(0) { $0 + $1 - 1 }), "every item but a user's first")
        let trained = try XCTUnwrap(try engine.fit().test["hit@5"])
        let popularity = try XCTUnwrap(engine.run.popularity(.test)?["hit@5"])
        XCTAssertGreaterThan(trained, try XCTUnwrap(untrained["hit@5"]) + 0.3)
        XCTAssertGreaterThan(trained, popularity + 0.3)
    }

    /// The paper's protocol: each held-out item against 10 sampled unseen items. Untrained, a
    /// target ranks about uniformly among the 11 candidates; trained, near the top; the draws
    /// are seeded, so evaluating twice gives the same numbers.
    func testSampledNegativesRankAmongTheCandidates() throws {
        var c = Self.config()
        c.evaluation.sampledNegatives = 10
        let engine = try EmbeddedEngine(config: c, dataset: Self.chains())
        let untrained = engine.run.evaluate(.test)
        XCTAssertEqual(engine.run.evaluate(.test), untrained)
        XCTAssertEqual(try XCTUnwrap(untrained["hit@5"]), 5.0 / 11, accuracy: 0.2)
        let trained = try XCTUnwrap(try engine.fit().test["hit@5"])
        XCTAssertGreaterThan(trained, try XCTUnwrap(untrained["hit@5"]) + 0.25)
    }

    /// `training.steps_per_epoch` caps an epoch at a few steps of the configured batch size
    /// (the batches are still cut from the whole epoch's order, so they keep their size).
    func testAnEpochCanBeCappedAtAFewStepsOfTheConfiguredBatch() throws {
        var c = Self.config(partitions: 1)
        let uncapped = try EmbeddedEngine(config: c, dataset: Self.chains())
        let whole = uncapped.run.stepsPerEpoch, firstBatch = try uncapped.trainStep().reduce(0) { $0 + $1.triples }
        c.training.stepsPerEpoch = 2
        c.training.epochs = 2
        let engine = try EmbeddedEngine(config: c, dataset: Self.chains())
        XCTAssertGreaterThan(whole, 2)
        XCTAssertEqual(engine.run.stepsPerEpoch, 2)
        XCTAssertEqual(try engine.trainStep().reduce(0) { $0 + $1.triples }, firstBatch, "the uncapped epoch's first batch")
        XCTAssertGreaterThan(firstBatch, 12)
        XCTAssertEqual(try engine.fit().records.count, 2)
        XCTAssertEqual(try TrainingConfig.parse(yaml: c.spec).training.stepsPerEpoch, 2)
    }

    /// A sequence batch reads no user rows, so the user table is empty; the item table is
    /// drawn as it would be beside a full one.
    func testTheUnreadUserTableIsEmptyAndTheItemTableDrawnAsBefore() throws {
        let plan = try TrainingPlan(config: Self.config(), dataset: Self.chains())
        let counts = plan.schema.nodeCounts
        XCTAssertEqual(plan.tables.prefix(2).map(\.rows), [0, counts[GraphTopology.item]])
        let store = plan.initialParameters()
        XCTAssertEqual(store.tables[GraphTopology.user].weights.shape, [0, plan.config.model.embeddingSize])
        let full = InputTables.initial(nodeTypes: plan.schema.nodeTypes.map(\.name), nodeCounts: counts,
                                       dimension: plan.config.model.embeddingSize, seed: plan.config.seed, distribution: plan.modelEntry.tables)
        XCTAssertEqual(store.tables[GraphTopology.item].weights, full[GraphTopology.item].1)
    }

    func testASequenceModelAndAPairTaskRefuseEachOther() {
        var pair = Self.config()
        pair.task.kind = .linkPrediction
        XCTAssertThrowsError(try EmbeddedEngine(config: pair, dataset: Self.chains())) { error in
            XCTAssert("\(error)".contains("model.kind") && "\(error)".contains("next_item"), "\(error)")
        }
        var sequence = Self.config()
        sequence.model.kind = "sage"
        XCTAssertThrowsError(try EmbeddedEngine(config: sequence, dataset: Self.chains())) { error in
            XCTAssert("\(error)".contains("sage-mean is not a sequence model"), "\(error)")
        }
    }
}
