import TestSupport
import TrellisCluster
import TrellisCore
import TrellisData
import TrellisGraph
import TrellisModels
import TrellisTensor
import TrellisTraining
import TrellisWire
import XCTest

final class ClusterEngineTests: XCTestCase {
    /// 120 users in 3 taste groups over 60 items: 10 items of the user's group (of 20) and 4
    /// drawn from all 60, split 8:1:1. The noise keeps the metrics well below 1, so a changed
    /// weight shows in them.
    func dataset() -> PreparedDataset { Self.dataset() }

    static func dataset() -> PreparedDataset {
        var users: [Int32] = [], items: [Int32] = []
        var rng = SeededGenerator(seed: 5)
        for u in 0..<120 {
            let group = u % 3
            var chosen = Set<Int32>()
            while chosen.count < 10 { chosen.insert(Int32(group * 20 + Int(rng.next() % 20))) }
            while chosen.count < 14 { chosen.insert(Int32(rng.next() % 60)) }
            for i in chosen.sorted() { users.append(Int32(u)); items.append(i) }
        }
        let table = InteractionTable(users: users, items: items, ratings: users.map { _ in 4 },
                                     timestamps: users.indices.map(Double.init),
                                     userIDs: IDMap((0..<120).map { "u\($0)" }), itemIDs: IDMap((0..<60).map { "i\($0)" }))
        return PreparedDataset(name: "groups", split: DatasetSplit.randomRatio(table, ratios: [0.8, 0.1, 0.1], seed: 1))
    }

    /// What must match between runs that claim to be the same: a checksum of every table and
    /// dense weight (of its float bits), every epoch's loss, the test metrics.
    struct Trace: Equatable {
        var weights: [String: UInt64]
        var losses: [Double]
        var test: [String: Double]
    }

    func trace(_ c: TrainingConfig, _ data: PreparedDataset) throws -> Trace {
        let engine = try EmbeddedEngine(config: c, dataset: data)
        let summary = try engine.fit()
        let sums = engine.run.snapshot().mapValues { t in
            t.data.reduce(UInt64(0xcbf29ce484222325)) { ($0 ^ UInt64($1.bitPattern)) &* 0x100000001b3 }  // FNV-1a over the bits
        }
        return Trace(weights: sums, losses: summary.records.map(\.loss), test: summary.test)
    }

    func config(_ kind: String = "sage", partitions: Int = 3, mode: ClusterSettings.Mode = .sync) -> TrainingConfig {
        Self.config(kind, partitions: partitions, mode: mode)
    }

    static func config(_ kind: String = "sage", partitions: Int = 3, mode: ClusterSettings.Mode = .sync) -> TrainingConfig {
        var c = TrainingConfig()
        c.seed = 11
        c.model.kind = kind
        c.model.embeddingSize = 16
        c.model.layers = 2
        c.model.fanouts = [4, 4]
        c.model.regWeight = 1e-4
        c.training.epochs = 12
        c.training.batchSize = 64
        c.training.learningRate = 0.01
        c.training.threads = 1
        c.evaluation.topk = [5, 10]
        c.evaluation.stoppingStep = 50
        c.cluster.partitions = partitions
        c.cluster.mode = mode
        return c
    }

    /// Trains `c` on `data`: the loss falls by a fifth, test NDCG@10 rises 0.1 over the
    /// untrained model's and stays below 0.9 (the data does not saturate it). Returns the run.
    @discardableResult
    func assertLearns(_ c: TrainingConfig, on data: PreparedDataset, _ label: String,
                      file: StaticString = #filePath, line: UInt = #line) throws -> EmbeddedEngine {
        let engine = try EmbeddedEngine(config: c, dataset: data)
        let untrained = engine.run.evaluate(.test)["ndcg@10"]!
        let summary = try engine.fit()
        let first = summary.records.first!.loss, last = summary.records.last!.loss
        XCTAssertLessThan(last, first * 0.8, "\(label): loss falls", file: file, line: line)
        let trained = summary.test["ndcg@10"]!
        XCTAssertGreaterThan(trained, untrained + 0.1, "\(label): learned (untrained \(untrained))", file: file, line: line)
        XCTAssertLessThan(trained, 0.9, "\(label): the data does not saturate the metric", file: file, line: line)
        return engine
    }

    func testGraphSAGEAndMatrixFactorisationLearn() throws {
        let data = dataset()
        for kind in ["sage", "bpr"] {
            for aggregator in [ModelSettings.Aggregator.mean, .pool] where kind == "sage" || aggregator == .mean {
                var c = config(kind)
                c.model.aggregator = aggregator
                try assertLearns(c, on: data, "\(kind) \(aggregator)")
            }
        }
    }

    func testSyncRunsAreBitIdenticalAndAsyncReachesSimilarQuality() throws {
        let data = dataset()
        let a = try trace(config(), data), b = try trace(config(), data)
        XCTAssertEqual(a, b, "same weights, losses and metrics")
        // The comparison can fail: a learning rate 1e-4 higher changes it, and one epoch fewer
        // the losses (the best epoch's weights, restored at the end, may be the same).
        var nudged = config()
        nudged.training.learningRate *= 1.0001
        let n = try trace(nudged, data)
        XCTAssertNotEqual(n.weights, a.weights)
        XCTAssertNotEqual(n.losses, a.losses)
        var shorter = config()
        shorter.training.epochs -= 1
        XCTAssertNotEqual(try trace(shorter, data).losses, a.losses)
        let async = try EmbeddedEngine(config: config(mode: .async), dataset: data).fit()
        XCTAssertEqual(async.test["ndcg@10"]!, a.test["ndcg@10"]!, accuracy: 0.1)
    }

    func testParameterServerSumsInPartitionOrderAndRejectsBadContributions() throws {
        let plan = try TrainingPlan(config: config("bpr", partitions: 2), dataset: dataset())
        let server = ParameterServer(store: plan.initialParameters(), partitionCount: 2, training: plan.config.training, cluster: plan.config.cluster, stepsPerEpoch: plan.stepsPerEpoch)
        let before = try server.rows(table: 0, ids: [3])
        func contribution(_ p: Int, rows: [Int32], value: Float) -> Contribution {
            Contribution(step: StepID(epoch: 1, step: 0), partition: p,
                         rows: [RowGradient(dimension: 16, rowIDs: rows, values: Array(repeating: value, count: rows.count * 16)),
                                RowGradient(dimension: 16)], dense: [], loss: 0.1, triples: 4, share: 0.5)
        }
        XCTAssertFalse(try server.accept(contribution(1, rows: [3], value: 1), globalStep: 0), "waits for partition 0")
        XCTAssertEqual(try server.rows(table: 0, ids: [3]), before, "nothing applied yet")
        XCTAssertThrowsError(try server.accept(contribution(0, rows: [100_000], value: 1), globalStep: 0)) // row out of range
        XCTAssertThrowsError(try server.accept(contribution(0, rows: [3], value: 1), globalStep: 5))      // out of order
        XCTAssertFalse(try server.accept(contribution(1, rows: [3], value: 1), globalStep: 0), "a duplicate is ignored")
        XCTAssertEqual(server.version, 0)
        XCTAssertTrue(try server.accept(contribution(0, rows: [3], value: 1), globalStep: 0))
        XCTAssertEqual(server.version, 1)
        XCTAssertNotEqual(try server.rows(table: 0, ids: [3]), before)
        XCTAssertThrowsError(try server.rows(table: 0, ids: [-1]))
        XCTAssertThrowsError(try server.rows(table: 0, ids: [3, 1_000_000, 3]))
        // A pull large enough to be copied in chunks over threads: every row where it belongs.
        let ids = (0..<9_000).map { Int32([3, 0, 5][$0 % 3]) }
        let rows = try server.rows(table: 0, ids: ids), d = rows.shape[1]
        XCTAssertEqual(rows.shape, [9_000, 16])
        for k in [0, 1, 2, 4_097, 8_999] {
            XCTAssertEqual(Array(rows.data[(k * d)..<((k + 1) * d)]), try server.rows(table: 0, ids: [ids[k]]).data, "row \(k)")
        }
    }

    /// A push one step ahead of the run is refused and changes nothing: the partition's real
    /// push for that step is still taken (it used to be dropped as a resend, wedging the run).
    func testARefusedPushChangesNothing() throws {
        let plan = try TrainingPlan(config: config("bpr", partitions: 2), dataset: dataset())
        let server = ParameterServer(store: plan.initialParameters(), partitionCount: 2, training: plan.config.training, cluster: plan.config.cluster, stepsPerEpoch: plan.stepsPerEpoch)
        func contribution(_ p: Int, step: Int) -> Contribution {
            Contribution(step: StepID(epoch: 1, step: step), partition: p,
                         rows: [RowGradient(dimension: 16, rowIDs: [3], values: Array(repeating: 1, count: 16)), RowGradient(dimension: 16)],
                         dense: [], loss: 0.1, triples: 4, share: 0.5)
        }
        XCTAssertFalse(try server.accept(contribution(1, step: 0), globalStep: 0))
        let cursors = server.cursors
        XCTAssertThrowsError(try server.accept(contribution(1, step: 1), globalStep: 1), "step 0 is not complete yet")
        XCTAssertEqual(server.cursors, cursors, "a refused push leaves the cursors alone")
        XCTAssertTrue(try server.accept(contribution(0, step: 0), globalStep: 0))
        XCTAssertFalse(try server.accept(contribution(1, step: 1), globalStep: 1), "taken, waiting for partition 0")
        XCTAssertTrue(try server.accept(contribution(0, step: 1), globalStep: 1))
        XCTAssertEqual(server.version, 2, "the run moves on")
    }

    func testMessagesRoundTripAndMalformedOnesAreRejected() throws {
        var limits = WireLimits()
        limits.tableRows = [50, 40]
        limits.tableDimensions = [4, 4]
        limits.denseShapes = [[2, 2]]
        limits.partitionCount = 3
        let c = Contribution(step: StepID(epoch: 2, step: 5), partition: 1,
                             rows: [RowGradient(dimension: 4, rowIDs: [1, 7, 9], values: (0..<12).map { Float($0) / 10 }), RowGradient(dimension: 4)],
                             dense: [Tensor(shape: [2, 2], data: [1, 2, 3, 4])], loss: 0.25, triples: 8, share: 0.5)
        let push = Message.push(session: 42, globalStep: 17, contribution: c, timings: [0.1, 0.2, 0.3, 0.4], grant: Grant(tag: 0xfeed, reductions: 3))
        let bytes = push.frame().frame.encode()
        XCTAssertEqual(try Message.decode(Frame.decode(bytes, maxBodyBytes: 1 << 20), limits: limits), push)
        // Every truncation is an error, never a crash.
        for n in 0..<bytes.count {
            XCTAssertThrowsError(try Message.decode(Frame.decode(Array(bytes.prefix(n)), maxBodyBytes: 1 << 20), limits: limits))
        }
        // A row id past the table, a wrong dense shape, an unknown partition.
        var bad = c
        bad.rows[0] = RowGradient(dimension: 4, rowIDs: [60], values: [0, 0, 0, 0])
        XCTAssertThrowsError(try Message.decode(Message.push(session: 1, globalStep: 0, contribution: bad, timings: [], grant: .local).frame().frame, limits: limits))
        bad = c
        bad.dense = [Tensor(shape: [3], data: [1, 2, 3])]
        XCTAssertThrowsError(try Message.decode(Message.push(session: 1, globalStep: 0, contribution: bad, timings: [], grant: .local).frame().frame, limits: limits))
        let pull = Message.pull(session: 1, partition: 7, globalStep: 0, ids: [[1], [2]])
        XCTAssertThrowsError(try Message.decode(pull.frame().frame, limits: limits))
    }

    func testGraphSAGEGradientsMatchFiniteDifferences() throws {
        let g = GraphTopology.userItem(CSRMatrix(rowCount: 4, columnCount: 3, rows: [0, 0, 1, 2, 3, 3], columns: [0, 1, 1, 2, 0, 2], values: nil, sortRows: true))
        let full = SubgraphSampler.full(g, layers: 2)
        var rng = SeededGenerator(seed: 2)
        let users = Tensor.normal([4, 3], std: 0.5, using: &rng), items = Tensor.normal([3, 3], std: 0.5, using: &rng)
        for aggregator in [GraphSAGE.Aggregator.mean, .pool] {
            let model = GraphSAGE(relations: g.relations, nodeTypeCount: 2, dimension: 3, layerCount: 2, aggregator: aggregator, seed: 3)
            GradientCheck.check([users, items], epsilon: 1e-2, tolerance: 2e-2, absoluteTolerance: 2e-3) { x in
                let out = model.forward(full, inputs: x)
                return Variable.concat([out[0], out[1]], axis: 0)
            }
        }
    }
}


extension ClusterEngineTests {
    /// The server steps at each global step's scheduled rate: a cosine run ends at a rate near
    /// 0 and trains to other weights than a constant one.
    func testTheServerFollowsTheLearningRateSchedule() throws {
        var c = config(partitions: 2)
        c.training.epochs = 2
        c.training.schedule = .cosine
        c.training.warmupSteps = 2
        let engine = try EmbeddedEngine(config: c, dataset: dataset())
        let schedule = LearningRateSchedule(c.training, stepsPerEpoch: engine.run.stepsPerEpoch)
        try engine.trainStep()
        XCTAssertEqual(engine.run.server.learningRate, schedule.rate(step: 0))
        XCTAssertEqual(engine.run.server.learningRate, c.training.learningRate / 2, "warm-up: step 1 of 2")
        _ = try engine.fit()
        let last = 2 * engine.run.stepsPerEpoch - 1
        XCTAssertEqual(engine.run.server.learningRate, schedule.rate(step: last))
        XCTAssertLessThan(engine.run.server.learningRate, c.training.learningRate * 0.05)
        var constant = c
        constant.training.schedule = .constant
        constant.training.warmupSteps = 0
        XCTAssertNotEqual(try trace(c, dataset()).weights, try trace(constant, dataset()).weights)
    }
}
