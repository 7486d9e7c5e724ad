@testable import TrellisCluster
import TestSupport
import TrellisCore
import TrellisEval
import TrellisGraph
import TrellisTensor
import TrellisWire
import XCTest

/// Frames a hostile peer can make: valid CRCs (anyone can compute one) around mutated
/// contents of every message kind, and small frames that declare huge decoded sizes.
final class HostileFrameTests: XCTestCase {
    /// A small run: two tables (50 x 4 and 40 x 4), one 2 x 2 dense weight, 3 partitions,
    /// spread over `shards` parameter-server shards.
    static func limits(shards: Int = 1, dense: Bool = true) -> WireLimits {
        var l = WireLimits()
        l.tableRows = [50, 40]
        l.tableDimensions = [4, 4]
        l.denseShapes = dense ? [[2, 2]] : []
        l.partitionCount = 3
        l.nodeCounts = [50, 40]
        l.relationCount = 2
        l.shardCount = shards
        l.sizeFromShapes()
        return l
    }

    /// One valid message of every kind for `limits(shards: 2)`.
    static func everyKind() -> [Message] {
        let c = Contribution(step: StepID(epoch: 1, step: 2), partition: 1,
                             rows: [RowGradient(dimension: 4, rowIDs: [1, 7], values: (0..<8).map { Float($0) }), RowGradient(dimension: 4)],
                             dense: [Tensor(shape: [2, 2], data: [1, 2, 3, 4])], loss: 0.5, triples: 4, share: 0.5)
        let shard = ShardState(shard: 1, version: 3, cursors: [3, 3, 3], lossSum: 1.5,
                               tables: [Tensor(shape: [25, 4], data: Array(repeating: 0.5, count: 100)), Tensor(shape: [20, 4], data: Array(repeating: 1, count: 80))],
                               dense: [], denseOptimizer: OptimizerState(stepCount: 3),
                               rowOptimizer: OptimizerState(stepCount: 3, buffers: ["m/users": Array(repeating: 0.1, count: 100)]))
        let welcome = Welcome(session: 9, rank: 0, spec: "seed: 1", stepsPerEpoch: 4, exampleCounts: [10, 10, 10],
                              schema: GraphSchema(nodeTypes: [.init(name: "user", count: 3), .init(name: "item", count: 2)],
                                                  relations: [.init(name: "rates", source: 0, target: 1, attributes: ["rating"]),
                                                              .init(name: "rated_by", source: 1, target: 0)],
                                                  features: [.init(name: "text", nodeType: 1, width: 8)]),
                              owners: [[0, 1, 2], [0, 1]], tableRows: [3, 2, 2], tableDimensions: [4, 4, 8], tableKinds: [.trainable, .trainable, .frozen], codec: .default, ratingMean: 3.5, ratingScale: 1...5)
        let messages: [Message] = [
            .join(token: "t", name: "w"), .welcome(welcome),
            .assignment(Assignment(session: 9, partitions: [1], targets: [[0, 1], [0]], offsets: [[0, 1, 2], [0, 1]], sources: [[3, 4], [5]], values: [[4, 2.5], [1]],
                                   linkUsers: [[0, 1]], linkItems: [[2, 3]], linkRatings: [[4, 3.5]],
                                   validLinks: [RatedPairs(users: [1], items: [39], ratings: [5])],
                                   testLinks: [RatedPairs(users: [0, 1], items: [2, 0], ratings: [1, 2])])),
            .taskRequest(session: 9), .task(session: 9, partition: 1, epoch: 1, step: 2, grant: Grant(tag: 77, reductions: 2)), .finished,
            .pull(session: 9, partition: 1, globalStep: 2, ids: [[1, 2], [3]]),
            .rows(rows: [Tensor(shape: [2, 4], data: Array(repeating: 1, count: 8)), Tensor(shape: [1, 4], data: [1, 2, 3, 4])],
                  dense: [Tensor(shape: [2, 2], data: [1, 2, 3, 4])]),
            .push(session: 9, globalStep: 6, contribution: c, timings: [0.1, 0.2], grant: Grant(tag: 77, reductions: 2)), .ack(applied: true),
            .sampleRequest(SampleRequest(session: 9, requestID: 5, owner: 2, relation: 1, fanout: 5,
                                         tag: SampleTag(seed: 1, epoch: 1, step: 2, hop: 0), nodes: [1, 2, 3])),
            .sampleReply(session: 9, requestID: 5, sample: SampledNeighbours(counts: [1, 2], neighbours: [4, 5, 6], values: [3, 4.5, 5])),
            .heartbeat(session: 9, progress: 77), .error("no"),
            .serverJoin(token: "t", endpoint: "tcp://127.0.0.1:1"),
            .serverWelcome(ServerWelcome(session: 9, shard: 1, shardCount: 2, spec: "seed: 1", partitionCount: 3, stepsPerEpoch: 4,
                                         tableNames: ["users", "items"], tableRows: [50, 40], tableDimensions: [4, 4], tableKinds: [.trainable, .trainable], denseNames: ["w"],
                                         denseShapes: [[2, 2]], codec: .default, grantKey: SipHash(k0: 1, k1: 2))),
            .shardState(shard), .stateRequest, .sampleRefused(session: 9, requestID: 5, reason: "no"), .stopped("diverged"),
            .layerTask(EvaluationTask(session: 9, round: 2, part: .valid, layer: 0, partition: 1, dense: [Tensor(shape: [2, 2], data: [1, 2, 3, 4])])),
            .scoreTask(EvaluationTask(session: 9, round: 2, part: .test, layer: 2, partition: 2, dense: [Tensor(shape: [2, 2], data: [4, 3, 2, 1])])),
            .activationPull(session: 9, round: 2, layer: 1, type: 1, ids: [0, 39]),
            .activationRows(Tensor(shape: [2, 3], data: [1, 2, 3, 4, 5, 6])),
            .activationPush(session: 9, round: 2, layer: 1, type: 0, ids: [4, 49], rows: Tensor(shape: [2, 3], data: [6, 5, 4, 3, 2, 1])),
            .layerDone(session: 9, round: 2, partition: 1),
            .evaluationSums(session: 9, round: 2, partition: 2, sums: .ranking(RankingMetrics(
                ks: [1, 2], itemCount: 40, userCount: 3, sumValues: (0..<10).map(Double.init),
                bestRanks: (0..<40).map { $0 % 3 == 0 ? Int32.max : Int32($0 % 2) })!)),
            .evaluationSums(session: 9, round: 2, partition: 0, sums: .rating(RatingSums(count: 4, squaredError: 2.5, absoluteError: 3))),
        ]
        XCTAssertEqual(Set(messages.map(\.kind)), Set(Message.Kind.allCases), "a message of every kind")
        return messages
    }

    func testEveryKindRoundTrips() throws {
        let limits = Self.limits(shards: 2)
        for m in Self.everyKind() {
            XCTAssertEqual(try Message.decode(m.frame().frame, limits: limits), m, "\(m.kind)")
        }
    }

    /// Thousands of mutated contents behind valid CRCs, against the coordinator's limits and a
    /// server shard's: each is refused with an error or decodes to a message; none traps, and
    /// none decodes to more than the frame limit allows.
    func testMutatedContentsOfEveryKindAreRefusedNeverATrap() throws {
        var rng = SeededGenerator(seed: 2026)
        let sides = [Self.limits(shards: 2), Self.limits(shards: 2, dense: false)]
        var refused = 0, decoded = 0
        for m in Self.everyKind() {
            let header = m.frame().frame.header
            for _ in 0..<300 {
                var h = header
                switch rng.next() % 5 {
                case 0 where !h.isEmpty:  // flip a byte
                    h[Int(rng.next() % UInt64(h.count))] ^= UInt8(truncatingIfNeeded: rng.next() | 1)
                case 1 where h.count >= 4:  // a huge or odd count or length
                    let at = Int(rng.next() % UInt64(h.count - 3))
                    let value: UInt32 = [0xFFFF_FFFF, 0x7FFF_FFFF, 1 << 28, 1 << 20, UInt32(truncatingIfNeeded: rng.next())][Int(rng.next() % 5)]
                    for k in 0..<4 { h[at + k] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(k))) }
                case 2:  // cut short
                    h = Array(h.prefix(Int(rng.next() % UInt64(h.count + 1))))
                case 3:  // trailing bytes
                    h += (0..<Int(1 + rng.next() % 16)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                default:  // several flips
                    for _ in 0..<4 where !h.isEmpty { h[Int(rng.next() % UInt64(h.count))] = UInt8(truncatingIfNeeded: rng.next()) }
                }
                let bytes = Frame(kind: m.kind.rawValue, header: h).encode()
                for limits in sides {
                    do {
                        _ = try Message.decode(Frame.decode(bytes, maxBodyBytes: limits.maxBodyBytes), limits: limits)
                        decoded += 1
                    } catch is WireError {
                        refused += 1
                    }
                }
            }
        }
        XCTAssertGreaterThan(refused, 5000)
        XCTAssertGreaterThan(decoded, 100, "some mutations stay valid (a flipped value byte)")
    }

    // MARK: Oversized declarations

    /// A float block of `count` values whose LZ4 payload is a zero bomb.
    static func bombBlock(count: Int, into w: inout ByteWriter) {
        let bomb = HostileBytes.zeroBomb(count * 4)
        w.u32(UInt32(count)); w.u8(ValueEncoding.float32.rawValue); w.u8(2)  // lz4, not shuffled
        w.u32(UInt32(bomb.count)); w.raw(bomb)
    }

    func testZeroBombIsValidLZ4() throws {
        XCTAssertEqual(try LZ4.decompress(HostileBytes.zeroBomb(4000), originalSize: 4000, maxSize: 4000), Array(repeating: 0, count: 4000))
    }

    /// Shard states that declare a table, or an optimizer buffer, far larger than the run's
    /// shapes (128M floats, 512 MB, in 2 MB) are refused before anything is inflated. On the old
    /// decoder each took the process past 1 GB.
    func testOversizedDeclarationsAreRefusedBeforeTheyAreInflated() throws {
        let limits = Self.limits(shards: 2)
        let count = 1 << 27
        var table = ByteWriter()
        table.u32(1); table.u64(3); table.u32(0); table.f64(0)
        table.u32(2); table.u32(2); table.u64(1); table.u64(UInt64(count)); Self.bombBlock(count: count, into: &table)
        var buffer = ByteWriter()
        buffer.u32(1); buffer.u64(3); buffer.u32(0); buffer.f64(0)
        buffer.u32(2)
        for rows in [25, 20] {
            buffer.u32(2); buffer.u64(UInt64(rows)); buffer.u64(4)
            _ = TensorCodec.encode(Array(repeating: 0, count: rows * 4), options: .default, into: &buffer)
        }
        buffer.u32(0)
        buffer.u64(0); buffer.u32(1); buffer.string("m/users"); Self.bombBlock(count: count, into: &buffer)
        let before = ResourceUsage.peakResidentBytes()
        for (name, header) in [("table", table.bytes), ("buffer", buffer.bytes)] {
            let frame = Frame(kind: Message.Kind.shardState.rawValue, header: header)
            XCTAssertLessThan(frame.encodedSize, 1 << 22, "a small frame")
            XCTAssertThrowsError(try Message.decode(frame, limits: limits), name) { error in
                XCTAssert("\(error)".contains("shardState"), "\(name): \(error)")
            }
        }
        XCTAssertLessThan(ResourceUsage.peakResidentBytes() - before, 64 << 20, "nothing was inflated")
    }

    /// Blocks each within its shape still cannot add up past the frame's decode budget.
    func testTheDecodeBudgetCapsAFrame() throws {
        var limits = Self.limits()
        let push = Message.push(session: 1, globalStep: 0, contribution: Contribution(
            step: StepID(epoch: 1, step: 0), partition: 0, rows: [RowGradient(dimension: 4, rowIDs: Array(0..<50), values: Array(repeating: 1, count: 200)),
                                                                 RowGradient(dimension: 4)],
            dense: [Tensor(shape: [2, 2], data: [1, 2, 3, 4])], loss: 0, triples: 1, share: 1), timings: [], grant: .local)
        XCTAssertNoThrow(try Message.decode(push.frame().frame, limits: limits))
        limits.maxDecodedBytes = 1000
        XCTAssertThrowsError(try Message.decode(push.frame().frame, limits: limits)) { XCTAssert("\($0)".contains("decoded size"), "\($0)") }
    }
}
