import Foundation
import Logging
import TrellisCheckpoint
import TrellisCluster
import TrellisTensor
import XCTest

/// Restoring a checkpoint checks every buffer against the run's layout and every stored
/// number against its range: a bad checkpoint is a `CheckpointError`, never a trap or a
/// silently short buffer.
extension ClusterEngineTests {
    /// A checkpoint of two trained steps with `edit` applied to its state (saved back with a
    /// fresh manifest, so it verifies), and a fresh engine to restore it into.
    func tamperedCheckpoint(_ edit: (inout CheckpointState) throws -> Void) throws -> (ClusterCheckpoints, EmbeddedEngine) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("trellis-restore-\(UUID().uuidString)").path
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        let checkpoints = ClusterCheckpoints(directory: dir, keep: 2)
        let engine = try EmbeddedEngine(config: config(partitions: 2), dataset: dataset())
        for _ in 0..<2 { try engine.trainStep() }
        try checkpoints.save(engine.run, logger: Logger(label: "test"))
        let loaded = try XCTUnwrap(checkpoints.store.latestIntact().checkpoint)
        var state = try loaded.state()
        try edit(&state)
        try checkpoints.store.save(step: loaded.info.step, state: state, extras: loaded.info.extras)
        return (checkpoints, try EmbeddedEngine(config: config(partitions: 2), dataset: dataset()))
    }

    func assertRefused(_ expectation: String, file: StaticString = #filePath, line: UInt = #line,
                       _ edit: (inout CheckpointState) throws -> Void) throws {
        let (checkpoints, fresh) = try tamperedCheckpoint(edit)
        XCTAssertThrowsError(try checkpoints.restoreLatest(into: fresh.run, logger: Logger(label: "test")), file: file, line: line) { error in
            XCTAssertTrue(error is CheckpointError, "\(type(of: error)): \(error)", file: file, line: line)
            XCTAssertTrue("\(error)".contains(expectation), "\(error)", file: file, line: line)
        }
    }

    func testAnUntouchedCheckpointRestores() throws {
        let (checkpoints, fresh) = try tamperedCheckpoint { _ in }
        XCTAssertNotNil(try checkpoints.restoreLatest(into: fresh.run, logger: Logger(label: "test")))
        XCTAssertEqual(fresh.run.position, StepID(epoch: 1, step: 2))
    }

    func testRestoreRefusesOptimizerBuffersOfTheWrongSize() throws {
        var key = ""
        try assertRefused("opt.rows/m/") { state in
            key = try XCTUnwrap(state.tensors.keys.sorted().first { $0.hasPrefix("opt.rows/m/") })
            let t = state.tensors[key]!
            state.tensors[key] = Tensor(shape: [t.count / 2], data: Array(t.data.prefix(t.count / 2)))
        }
        try assertRefused("opt.dense/") { state in
            let name = try XCTUnwrap(state.tensors.keys.sorted().first { $0.hasPrefix("opt.dense/m/") })
            state.tensors[name] = Tensor(shape: [1], data: [0])
        }
        try assertRefused("opt.rows/m/no.such.table") { state in
            state.tensors["opt.rows/m/no.such.table"] = Tensor(shape: [3], data: [1, 2, 3])
        }
    }

    func testRestoreRefusesBestWeightsOfTheWrongShape() throws {
        try assertRefused("best/") { state in
            let name = try XCTUnwrap(state.tensors.keys.sorted().first { $0.hasPrefix("best/") })
            let t = state.tensors[name]!
            state.tensors[name] = Tensor(shape: [1, t.count], data: t.data)
        }
    }

    /// Words past `Int.max` or out of their range are errors naming the field, not traps.
    func testRestoreRefusesOutOfRangeWords() throws {
        try assertRefused("run.position") { $0.words["run.position"] = [UInt64.max, 0] }
        try assertRefused("run.position") { $0.words["run.position"] = [0, 1] }
        try assertRefused("run.position") { $0.words["run.position"] = [1, 1 << 40] }
        try assertRefused("run.cursors") { $0.words["run.cursors"] = [UInt64.max, 2] }
        try assertRefused("run.opt_steps") { $0.words["run.opt_steps"] = [1 << 63, 2] }
        try assertRefused("run.version") { $0.words["run.version"] = [UInt64.max] }
        try assertRefused("run.stopping") { $0.words["run.stopping"]![1] = UInt64.max }
    }

    /// A checkpoint written by a run of another seed or model is refused, naming each key;
    /// one of the same config (more epochs is fine) restores and keeps the run id.
    func testRestoreRefusesACheckpointOfAnotherRun() throws {
        let (checkpoints, fresh) = try tamperedCheckpoint { _ in }
        let stored = try XCTUnwrap(checkpoints.store.list().last?.extras["run.id"])
        var other = config(partitions: 2)
        other.seed = 7
        other.model.embeddingSize = 8
        let stranger = try EmbeddedEngine(config: other, dataset: dataset())
        XCTAssertThrowsError(try checkpoints.restoreLatest(into: stranger.run, logger: Logger(label: "test"))) {
            XCTAssert("\($0)".contains("belongs to another run") && "\($0)".contains("seed 11 vs 7")
                      && "\($0)".contains("model.embedding_size 16 vs 8"), "\($0)")
        }
        XCTAssertThrowsError(try checkpoints.checkResumable(other))
        var longer = config(partitions: 2)
        longer.training.epochs += 5
        longer.training.threads = 2
        XCTAssertNoThrow(try checkpoints.checkResumable(longer))
        XCTAssertNotEqual(fresh.run.identity.runID, stored)
        XCTAssertNotNil(try checkpoints.restoreLatest(into: fresh.run, logger: Logger(label: "test")))
        XCTAssertEqual(fresh.run.identity.runID, stored, "a resumed run keeps its id")
        XCTAssertThrowsError(try checkpoints.prepareFreshRun(overwrite: false)) { XCTAssert("\($0)".contains("already holds checkpoints"), "\($0)") }
        try checkpoints.prepareFreshRun(overwrite: true)
        XCTAssertEqual(checkpoints.store.checkpointFolderNames(), [])
    }
}
