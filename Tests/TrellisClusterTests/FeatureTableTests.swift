import Foundation
import Logging
import TrellisCheckpoint
import TrellisCluster
import TrellisCore
import TrellisTensor
import TrellisTraining
import TrellisWire
import XCTest

/// Frozen feature tables (`data.features`): loaded from `.user`/`.item` files into tables of
/// their own kind, read by every model through the input layer's projection, never changed by
/// training, refused as gradients by the server and on the wire, and tied to the checkpoint
/// that saw them.
extension ClusterEngineTests {
    /// Writes the taste group of each user and item of `dataset()` as a token column (what the
    /// groups data planted), and returns `config` reading them.
    func featureConfig(_ kind: String = "sage", partitions: Int = 2, itemGroups: (Int) -> String = { "g\($0 / 20)" }) throws -> TrainingConfig {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("trellis-features-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        let users = "user_id:token\tgroup:token\n" + (0..<120).map { "u\($0)\tg\($0 % 3)" }.joined(separator: "\n")
        let items = "item_id:token\tgroup:token\tscore:float\n" + (0..<60).map { "i\($0)\t\(itemGroups($0))\t\(Float($0) / 60)" }.joined(separator: "\n")
        try users.write(to: dir.appendingPathComponent("x.user"), atomically: true, encoding: .utf8)
        try items.write(to: dir.appendingPathComponent("x.item"), atomically: true, encoding: .utf8)
        var c = config(kind, partitions: partitions)
        c.training.epochs = 3
        c.data.features = ["user": FeatureSource(path: dir.appendingPathComponent("x.user").path, columns: ["group"]),
                           "item": FeatureSource(path: dir.appendingPathComponent("x.item").path, columns: ["group", "score"], dtype: .bfloat16)]
        return c
    }

    func testFeaturesAreFrozenTablesReadThroughTheInputLayer() throws {
        let c = try featureConfig()
        let engine = try EmbeddedEngine(config: c, dataset: dataset())
        let plan = engine.run.plan
        XCTAssertEqual(plan.tables.map(\.name), ["user.embedding", "item.embedding", "user.features", "item.features"])
        XCTAssertEqual(plan.tables.map(\.kind), [.trainable, .trainable, .frozen, .frozen])
        XCTAssertEqual(plan.tables.map(\.dimension), [16, 16, 3, 4], "one-hot groups; the item score beside its 3 groups")
        XCTAssertEqual(plan.tables[3].encoding, .bfloat16)
        let store = engine.run.server.store
        XCTAssertEqual(store.tables[3].weights.data[(7 * 4)..<(8 * 4)], [1, 0, 0, ValueEncoding.bfloat16.rounded([7 / 60])[0]],
                       "item 7: group g0, its score rounded to bfloat16")
        let frozenBefore = store.tables.filter { $0.kind == .frozen }.map(\.weights)
        let projection = try XCTUnwrap(store.dense.first { $0.name == "item.projection.weight" })
        XCTAssertEqual(projection.value.shape, [16, 4])
        let projectionBefore = projection.value
        let summary = try engine.fit()
        XCTAssertEqual(store.tables.filter { $0.kind == .frozen }.map(\.weights), frozenBefore, "training never changes a frozen table")
        XCTAssertNotEqual(projection.value, projectionBefore, "the projection learns")
        // The features reach the model: other feature values, other numbers.
        let other = try EmbeddedEngine(config: try featureConfig(itemGroups: { "g\($0 % 3)" }), dataset: dataset()).fit()
        XCTAssertNotEqual(other.records.map(\.loss), summary.records.map(\.loss))
    }

    func testFeaturesGiveTheSameRunInEveryLayoutOfOneProcess() throws {
        // Partitions change the steps; the layout of the same partitions must not change anything.
        let c = try featureConfig("gatv2", partitions: 2)
        XCTAssertEqual(try trace(c, dataset()), try trace(c, dataset()))
        var async = c
        async.cluster.mode = .async
        XCTAssertNotEqual(try trace(async, dataset()).losses, [], "async trains with features too")
    }

    func testTheServerRefusesAGradientForAFrozenTable() throws {
        let engine = try EmbeddedEngine(config: try featureConfig(), dataset: dataset())
        let server = engine.run.server
        var c = Contribution.empty(step: StepID(epoch: 1, step: 0), partition: 0, tables: server.store.tables.map(\.dimension),
                                   denseCount: server.store.dense.count)
        c.rows[2] = RowGradient(dimension: 3, rowIDs: [5], values: [1, 1, 1])
        XCTAssertThrowsError(try server.accept(c, globalStep: 0)) { error in
            XCTAssertEqual(error as? ServerError, .frozenTable("user.features"))
        }
        XCTAssertEqual(server.cursors, [0, 0], "nothing changed")
    }

    func testAPushWithRowsOfAFrozenTableIsRefusedOnTheWire() throws {
        var limits = HostileFrameTests.limits()
        limits.tableKinds = [.trainable, .frozen]
        let c = Contribution(step: StepID(epoch: 1, step: 0), partition: 1,
                             rows: [RowGradient(dimension: 4, rowIDs: [1], values: [1, 2, 3, 4]), RowGradient(dimension: 4, rowIDs: [3], values: [1, 2, 3, 4])],
                             dense: [nil], loss: 1, triples: 2, share: 0.5)
        let frame = Message.push(session: 9, globalStep: 0, contribution: c, timings: [], grant: .local).frame().frame
        XCTAssertThrowsError(try Message.decode(frame, limits: limits)) { error in
            XCTAssert("\(error)".contains("push.rows[1] (frozen)"), "\(error)")
        }
        var fine = c
        fine.rows[1] = RowGradient(dimension: 4)
        XCTAssertNoThrow(try Message.decode(Message.push(session: 9, globalStep: 0, contribution: fine, timings: [], grant: .local).frame().frame, limits: limits))
    }

    func testACheckpointOfOtherFeatureValuesIsRefused() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("trellis-frozen-\(UUID().uuidString)").path
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        let checkpoints = ClusterCheckpoints(directory: dir, keep: 2)
        let c = try featureConfig()
        let engine = try EmbeddedEngine(config: c, dataset: dataset())
        try engine.trainStep()
        try checkpoints.save(engine.run, logger: Logger(label: "test"))
        XCTAssertNotNil(try checkpoints.restoreLatest(into: try EmbeddedEngine(config: c, dataset: dataset()).run, logger: Logger(label: "test")))
        // The same config over an edited feature file: same fingerprint, other values.
        let path = try XCTUnwrap(c.data.features["item"]?.path)
        let edited = try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(of: "i7\tg0", with: "i7\tg1")
        try edited.write(toFile: path, atomically: true, encoding: .utf8)
        let changed = try EmbeddedEngine(config: c, dataset: dataset())
        XCTAssertThrowsError(try checkpoints.restoreLatest(into: changed.run, logger: Logger(label: "test"))) { error in
            XCTAssert(error is CheckpointError && "\(error)".contains("run.frozen"), "\(error)")
        }
        XCTAssertEqual(changed.run.position, StepID(epoch: 1, step: 0), "nothing restored")
    }

    func testFeaturesOfAnUnknownNodeTypeOrAMissingFileAreRefused() throws {
        var c = try featureConfig()
        c.data.features["movie"] = c.data.features["item"]
        XCTAssertThrowsError(try EmbeddedEngine(config: c, dataset: dataset())) { error in
            XCTAssertEqual((error as? ConfigError)?.key, "data.features.movie", "\(error)")
        }
        var missing = try featureConfig()
        missing.data.features["item"]?.path = "/no/such/x.item"
        XCTAssertThrowsError(try EmbeddedEngine(config: missing, dataset: dataset())) { error in
            XCTAssert("\(error)".contains("/no/such/x.item"), "\(error)")
        }
    }

    /// A checkpoint written before tables had kinds (no `tables` metadata, no `run.frozen`)
    /// still restores into a run without frozen tables; half of the pair is refused.
    func testACheckpointFromBeforeTableKindsRestoresWithoutFeatures() throws {
        let (checkpoints, fresh) = try tamperedCheckpoint { state in
            state.metadata["tables"] = nil
            state.words["run.frozen"] = nil
        }
        XCTAssertNotNil(try checkpoints.restoreLatest(into: fresh.run, logger: Logger(label: "test")))
        try assertRefused("tables") { state in state.metadata["tables"] = nil }
        try assertRefused("run.frozen") { state in state.words["run.frozen"] = nil }
    }
}
