import Logging
@testable import TrellisCluster
import TrellisTransport
import TrellisWire
import TrellisCore
import XCTest

/// The heartbeat thread's own socket must speak the coordinator's security too, or a CURVE
/// coordinator would never hear it and drop a busy worker as dead.
final class HeartbeatTests: XCTestCase {
    func testHeartbeatsReachACurveCoordinatorAndItsAnswersComeBack() throws {
        try XCTSkipUnless(CurveKeyPair.isAvailable, "this libzmq has no CURVE")
        let keys = try CurveKeyPair.generate()
        let router = try ZMQSocket(.router)
        defer { router.close() }
        try SocketSecurity.curveServer(secretKey: keys.secretKey).apply(to: router)
        try router.bind("tcp://127.0.0.1:*")
        let client = SocketSecurity.curveClient(serverPublicKey: keys.publicKey, keys: try CurveKeyPair.generate())
        let heartbeat = try Heartbeat(endpoint: try router.lastEndpoint, session: 42, intervalMilliseconds: 50,
                                      security: client, logger: Logger(label: "test"))
        defer { heartbeat.stop() }

        let beat = try XCTUnwrap(try router.receive(timeoutMilliseconds: 5000))
        let message = try Message.decode(Frame.decode(beat[1], maxBodyBytes: 1 << 16), limits: WireLimits())
        let before = WorkProgress.count
        XCTAssertEqual(message, .heartbeat(session: 42, progress: before))
        // Work done on another thread shows in a later beat.
        WorkProgress.advance()
        var moved = false
        for _ in 0..<100 where !moved {
            let next = try XCTUnwrap(try router.receive(timeoutMilliseconds: 5000))
            moved = try Message.decode(Frame.decode(next[1], maxBodyBytes: 1 << 16), limits: WireLimits()) == .heartbeat(session: 42, progress: before + 1)
        }
        XCTAssertTrue(moved, "a beat carried the new work count")
        Thread.sleep(forTimeInterval: 0.3)
        XCTAssertGreaterThan(heartbeat.silentSeconds, 0.25, "no answer yet")
        try router.send(parts: [beat[0], Message.error("unknown session").frame().frame.encode()])
        let deadline = Date().addingTimeInterval(5)
        while !heartbeat.sessionRejected && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        XCTAssertTrue(heartbeat.sessionRejected, "the answer travelled back over CURVE")
        XCTAssertLessThan(heartbeat.silentSeconds, 0.25)
    }
}
