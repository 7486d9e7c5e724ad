import Foundation
@testable import TrellisCluster
import TrellisData
import TrellisTraining
import TrellisWire
import XCTest

/// A partitioned folder (`trellis data partition`) plans and assigns exactly as the whole graph
/// it was written from, and is refused when it belongs to other settings or its bytes changed.
final class PartitionFolderTests: XCTestCase {
    private var dir: String!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("trellis-parts-\(UUID().uuidString)").path
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: dir)
    }

    private func config(_ kind: String, rating: Bool = false) -> TrainingConfig {
        var c = ClusterEngineTests.config(kind, partitions: 3)
        if rating {
            c.task.kind = .rating
            c.evaluation.validMetric = "rmse"
        }
        return c
    }

    func testAFolderPlansAndAssignsAsTheWholeGraphDoes() throws {
        // Link prediction, and ratings on the edges.
        for (kind, rating) in [("sage", false), ("gatv2", true)] {
            let c = config(kind, rating: rating)
            let whole = try TrainingPlan(config: c, dataset: ClusterEngineTests.dataset())
            try PartitionFolder.write(whole, to: dir)
            let read = try TrainingPlan(config: c, partitioned: dir)
            XCTAssertNil(read.whole)
            XCTAssertEqual(read.schema, whole.schema)
            XCTAssertEqual(read.book, whole.book)
            XCTAssertEqual(read.report, whole.report)
            XCTAssertEqual(read.exampleCounts, whole.exampleCounts)
            XCTAssertEqual(read.stepsPerEpoch, whole.stepsPerEpoch)
            XCTAssertEqual(read.tables, whole.tables)
            XCTAssertEqual([read.ratingMean], [whole.ratingMean])
            XCTAssertEqual(read.ratingScale, whole.ratingScale)
            XCTAssertEqual([read.trainCount, read.hasValidation ? 1 : 0], [whole.trainCount, whole.hasValidation ? 1 : 0])
            XCTAssertEqual(read.datasetName, whole.datasetName)
            // A worker owning one partition is sent the file itself, its session written in.
            guard case .folder(let folder) = read.source else { return XCTFail("not read from the folder") }
            for p in 0..<3 {
                var bytes = [UInt8](repeating: 0, count: folder.frameBytes(p))
                try bytes.withUnsafeMutableBytes { try folder.frame(p, session: 9, into: $0) }
                let message = try Message.decode(try Frame.decode(bytes, maxBodyBytes: 1 << 30, maxHeaderBytes: 1 << 30), limits: WireLimits())
                XCTAssertEqual(message, .assignment(try whole.assignment(session: 9, partitions: [p])), "\(kind), partition \(p)")
            }
            for owned in [[0], [1], [2], [0, 2], [2, 0, 1]] {
                let expected = try whole.assignment(session: 9, partitions: owned)
                XCTAssertEqual(try read.assignment(session: 9, partitions: owned), expected, "\(kind), partitions \(owned)")
                XCTAssertGreaterThan(expected.sources.reduce(0) { $0 + $1.count }, 0)
            }
            try FileManager.default.removeItem(atPath: dir)
        }
        // A whole-graph model is evaluated by one forward over the whole graph on the coordinator.
        let c = config("lightgcn")
        try PartitionFolder.write(try TrainingPlan(config: c, dataset: ClusterEngineTests.dataset()), to: dir)
        XCTAssertThrowsError(try TrainingPlan(config: c, partitioned: dir)) { XCTAssert("\($0)".contains("without --partitioned"), "\($0)") }
    }

    /// A part is one frame whose header holds everything: far beyond a message header's 1 MiB.
    func testAPartOfSeveralMegabytesIsRead() throws {
        var users: [Int32] = [], items: [Int32] = []
        for u in 0..<2_000 { for k in 0..<150 { users.append(Int32(u)); items.append(Int32((u * 7 + k * 13) % 3_000)) } }
        let table = InteractionTable(users: users, items: items, ratings: users.map { _ in 1 }, timestamps: users.indices.map(Double.init),
                                     userIDs: IDMap((0..<2_000).map { "u\($0)" }), itemIDs: IDMap((0..<3_000).map { "i\($0)" }))
        let dataset = PreparedDataset(name: "large", split: DatasetSplit.randomRatio(table, ratios: [0.8, 0.1, 0.1], seed: 1))
        var c = config("sage")
        c.cluster.partitions = 1
        let whole = try TrainingPlan(config: c, dataset: dataset)
        try PartitionFolder.write(whole, to: dir)
        let size = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: "\(dir!)/part-00000.frame")[.size] as? Int)
        XCTAssertGreaterThan(size, 4 << 20)
        XCTAssertEqual(try TrainingPlan(config: c, partitioned: dir).assignment(session: 1, partitions: [0]),
                       try whole.assignment(session: 1, partitions: [0]))
    }

    func testAFolderOfOtherSettingsOrWithChangedBytesIsRefused() throws {
        let c = config("gatv2", rating: true)
        try PartitionFolder.write(try TrainingPlan(config: c, dataset: ClusterEngineTests.dataset()), to: dir)
        func refusal(_ c: TrainingConfig) -> String {
            do {
                _ = try TrainingPlan(config: c, partitioned: dir)
                return "opened"
            } catch { return "\(error)" }
        }
        var other = c
        other.cluster.partitions = 2
        XCTAssert(refusal(other).contains("differing: cluster.partitions=2, cluster.partitions=3"), refusal(other))
        other = c
        other.seed = 12
        XCTAssert(refusal(other).contains("seed=12"), refusal(other))
        // Training settings do not decide the partitions: the folder serves them.
        other = c
        other.training.learningRate = 0.5
        other.model.embeddingSize = 8
        XCTAssertEqual(refusal(other), "opened")

        let opened = try TrainingPlan(config: c, partitioned: dir)
        guard case .folder(let folder) = opened.source else { return XCTFail("not read from the folder") }
        let part = "\(dir!)/part-00001.frame"
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: part)))
        bytes[bytes.count / 2] ^= 0x10
        try Data(bytes).write(to: URL(fileURLWithPath: part))
        // Changed after the start: the worker's assignment is refused, not sent.
        var buffer = [UInt8](repeating: 0, count: folder.frameBytes(1))
        XCTAssertThrowsError(try buffer.withUnsafeMutableBytes { try folder.frame(1, session: 9, into: $0) }) {
            XCTAssert("\($0)".contains("part-00001.frame") && "\($0)".contains("the file changed"), "\($0)")
        }
        XCTAssert(refusal(c).contains("part-00001.frame") && refusal(c).contains("crc32"), refusal(c))
        try FileManager.default.removeItem(atPath: part)
        XCTAssert(refusal(c).contains("part-00001.frame"), refusal(c))
        try Data("{\"format\": 1}".utf8).write(to: URL(fileURLWithPath: "\(dir!)/partitions.json"))
        XCTAssert(refusal(c).contains("partitions.json") && refusal(c).contains("trellis data partition"), refusal(c))
    }
}
