import XCTest
import TrellisTensor
import TrellisCheckpoint

/// The checkpoint store: saving, verified recovery past corrupted or torn checkpoints,
/// retention, and atomic writes.
final class CheckpointStoreTests: XCTestCase {
    private var root: String!

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory
            .appendingPathComponent("trellis-ckpt-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: root)
    }

    private func state(_ step: Int) -> CheckpointState {
        CheckpointState(tensors: ["param/item.embedding": Tensor(shape: [3, 2], data: (0..<6).map { Float($0 + step) }),
                                  "adam.m/item.embedding": Tensor(shape: [3, 2], repeating: Float(step) / 10)],
                        words: ["rng/worker.0": [UInt64(step), .max], "cursor/partition.3": [UInt64(step * 7)]],
                        metadata: ["model": "bpr"])
    }

    private func contents(_ path: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
    }

    func testSaveAndRecoverRoundTrip() throws {
        let store = CheckpointStore(directory: root + "/run")
        let info = try store.save(step: 40, state: state(40), extras: ["world_size": "4"])
        XCTAssertEqual(info.path, root + "/run/ckpt-000000040")
        XCTAssertEqual(contents(info.path), ["manifest.json", "state.safetensors"])
        XCTAssertEqual(info.tensorNames, ["adam.m/item.embedding", "cursor/partition.3", "param/item.embedding", "rng/worker.0"])

        let recovery = store.latestIntact()
        XCTAssertEqual(recovery.skipped, [])
        let loaded = try XCTUnwrap(recovery.checkpoint)
        XCTAssertEqual(loaded.info, info)
        XCTAssertEqual(loaded.info.extras, ["world_size": "4"])
        XCTAssertEqual(try loaded.state(), state(40))
        XCTAssertEqual(store.list().map(\.step), [40])

        // The manifest is readable JSON with hex checksums.
        let manifest = try String(contentsOfFile: info.path + "/manifest.json", encoding: .utf8)
        XCTAssertTrue(manifest.contains("\"format\" : \"trellis-checkpoint\""), manifest)
        XCTAssertTrue(manifest.contains("\"crc32\" : \"\(String(info.files[0].crc32, radix: 16))"), manifest)
    }

    func testEmptyOrMissingStoreHasNoCheckpoint() {
        let recovery = CheckpointStore(directory: root + "/nothing-here").latestIntact()
        XCTAssertNil(recovery.checkpoint)
        XCTAssertEqual(recovery.skipped, [])
    }

    func testCorruptedNewestIsSkippedWithReason() throws {
        let store = CheckpointStore(directory: root)
        for step in [10, 20, 30] { try store.save(step: step, state: state(step)) }
        let victim = root + "/ckpt-000000030/state.safetensors"
        var bytes = Array(FileManager.default.contents(atPath: victim)!)
        bytes[bytes.count - 3] ^= 0x01   // one bit of tensor data: structure intact, checksum not
        try Data(bytes).write(to: URL(fileURLWithPath: victim))

        let recovery = store.latestIntact()
        XCTAssertEqual(recovery.checkpoint?.info.step, 20)
        XCTAssertEqual(try recovery.checkpoint?.state(), state(20))
        XCTAssertEqual(recovery.skipped.count, 1)
        let skipped = recovery.skipped[0]
        XCTAssertEqual(skipped.step, 30)
        XCTAssertEqual(skipped.error.kind, .checksumMismatch)
        XCTAssertTrue(skipped.description.hasPrefix("skipped ckpt-000000030/state.safetensors: expected crc32 "),
                      skipped.description)
        XCTAssertThrowsError(try store.load(step: 30))
    }

    func testMissingManifestIsIncomplete() throws {
        let store = CheckpointStore(directory: root)
        for step in [10, 20, 30] { try store.save(step: step, state: state(step)) }
        try FileManager.default.removeItem(atPath: root + "/ckpt-000000030/manifest.json")

        let recovery = store.latestIntact()
        XCTAssertEqual(recovery.checkpoint?.info.step, 20)
        XCTAssertEqual(recovery.skipped.map(\.error.kind), [.incomplete])
        XCTAssertEqual(recovery.skipped.first?.path, root + "/ckpt-000000030")
        XCTAssertEqual(store.list().map(\.step), [10, 20], "list shows only checkpoints with a manifest")
    }

    func testTruncatedAndMismatchedManifestsAreSkipped() throws {
        let store = CheckpointStore(directory: root)
        for step in [1, 2, 3] { try store.save(step: step, state: state(step)) }
        // A torn data file (shorter than recorded) and a manifest copied from another step.
        let torn = root + "/ckpt-000000003/state.safetensors"
        let data = FileManager.default.contents(atPath: torn)!
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: torn))
        try FileManager.default.removeItem(atPath: root + "/ckpt-000000002/manifest.json")
        try FileManager.default.copyItem(atPath: root + "/ckpt-000000001/manifest.json",
                                         toPath: root + "/ckpt-000000002/manifest.json")

        let recovery = store.latestIntact()
        XCTAssertEqual(recovery.checkpoint?.info.step, 1)
        XCTAssertEqual(recovery.skipped.map(\.step), [3, 2])
        XCTAssertEqual(recovery.skipped.map(\.error.kind), [.checksumMismatch, .invalidManifest])
        XCTAssertEqual(recovery.skipped[1].error.tensor, "step")
    }

    func testRetentionKeepsLastN() throws {
        let store = CheckpointStore(directory: root, keepLast: 2)
        for step in stride(from: 10, through: 50, by: 10) { try store.save(step: step, state: state(step)) }
        XCTAssertEqual(contents(root), ["ckpt-000000040", "ckpt-000000050"])
        XCTAssertEqual(store.list().map(\.step), [40, 50])
    }

    func testRetentionRemovesStaleTempAndIncompleteFolders() throws {
        let store = CheckpointStore(directory: root)
        try store.save(step: 1, state: state(1))
        try FileManager.default.createDirectory(atPath: root + "/.tmp-ckpt-000000005", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/ckpt-000000002", withIntermediateDirectories: true)
        try store.save(step: 3, state: state(3))
        XCTAssertEqual(contents(root), ["ckpt-000000001", "ckpt-000000003"])
    }

    /// A fresh run's `--overwrite-checkpoints`: every checkpoint folder (complete, torn,
    /// temporary) goes, other files stay.
    func testRemoveAllDeletesOnlyCheckpointFolders() throws {
        let store = CheckpointStore(directory: root)
        XCTAssertEqual(CheckpointStore(directory: root + "/missing").checkpointFolderNames(), [])
        try store.save(step: 1, state: state(1))
        try FileManager.default.createDirectory(atPath: root + "/.tmp-ckpt-000000005", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/ckpt-000000002", withIntermediateDirectories: true)
        try "keep".write(toFile: root + "/notes.txt", atomically: true, encoding: .utf8)
        XCTAssertEqual(store.checkpointFolderNames(), [".tmp-ckpt-000000005", "ckpt-000000001", "ckpt-000000002"])
        try store.removeAll()
        XCTAssertEqual(contents(root), ["notes.txt"])
        XCTAssertEqual(store.checkpointFolderNames(), [])
    }

    func testResavingAStepReplacesIt() throws {
        let store = CheckpointStore(directory: root)
        try store.save(step: 5, state: state(5))
        try store.save(step: 5, state: state(6), extras: ["attempt": "2"])
        let loaded = try store.load(step: 5)
        XCTAssertEqual(try loaded.state(), state(6))
        XCTAssertEqual(loaded.info.extras, ["attempt": "2"])
    }

    func testSameStateWritesByteIdenticalData() throws {
        let a = CheckpointStore(directory: root + "/a"), b = CheckpointStore(directory: root + "/b")
        try a.save(step: 7, state: state(7))
        try b.save(step: 7, state: state(7))
        XCTAssertEqual(FileManager.default.contents(atPath: root + "/a/ckpt-000000007/state.safetensors"),
                       FileManager.default.contents(atPath: root + "/b/ckpt-000000007/state.safetensors"))
    }

    func testAtomicWriteReplacesAndLeavesNoTempFiles() throws {
        let path = root + "/file.bin"
        try AtomicFile.write([1, 2, 3], to: path)
        try AtomicFile.write([4, 5], to: path)
        try AtomicFile.write([], to: root + "/empty.bin")
        XCTAssertEqual(FileManager.default.contents(atPath: path), Data([4, 5]))
        XCTAssertEqual(FileManager.default.contents(atPath: root + "/empty.bin"), Data())
        XCTAssertEqual(contents(root), ["empty.bin", "file.bin"])

        let store = CheckpointStore(directory: root + "/store")
        try store.save(step: 1, state: state(1))
        XCTAssertEqual(contents(root + "/store"), ["ckpt-000000001"])
        XCTAssertEqual(contents(root + "/store/ckpt-000000001"), ["manifest.json", "state.safetensors"])
    }

    func testAtomicWriteIntoMissingDirectoryThrows() {
        XCTAssertThrowsError(try AtomicFile.write([1], to: root + "/no/such/dir/file")) { error in
            XCTAssertEqual((error as? CheckpointError)?.kind, .io)
        }
        XCTAssertEqual(contents(root), [])
    }

    func testLoadOfUnknownStepAndDuplicateNamesThrow() {
        let store = CheckpointStore(directory: root)
        XCTAssertThrowsError(try store.load(step: 99)) { XCTAssertEqual(($0 as? CheckpointError)?.kind, .missingFile) }
        let twice = [SafeTensorsEntry(name: "x", uint8s: [1]), SafeTensorsEntry(name: "x", uint8s: [2])]
        XCTAssertThrowsError(try store.save(step: 1, entries: twice)) {
            XCTAssertEqual(($0 as? CheckpointError)?.kind, .invalidState)
        }
    }

    func testFolderNames() {
        XCTAssertEqual(CheckpointStore.folderName(step: 0), "ckpt-000000000")
        XCTAssertEqual(CheckpointStore.folderName(step: 40), "ckpt-000000040")
        XCTAssertEqual(CheckpointStore.folderName(step: 1_234_567_890), "ckpt-1234567890")
    }
}
