import XCTest
import Foundation
import TrellisTransport
import TrellisWire

final class ZMQSocketTests: XCTestCase {
    /// A bound ROUTER and a DEALER connected to it over loopback on an ephemeral port.
    private func routerDealer(identity: [UInt8] = Array("worker-1".utf8)) throws -> (ZMQSocket, ZMQSocket) {
        let router = try ZMQSocket(.router)
        try router.bind("tcp://127.0.0.1:*")
        let endpoint = try router.lastEndpoint
        XCTAssertTrue(endpoint.hasPrefix("tcp://127.0.0.1:"), endpoint)
        XCTAssertNotEqual(endpoint, "tcp://127.0.0.1:*")
        let dealer = try ZMQSocket(.dealer)
        try dealer.setRoutingID(identity)
        try dealer.connect(endpoint)
        return (router, dealer)
    }

    func testRequestReplyOverEphemeralPort() throws {
        let (router, dealer) = try routerDealer()
        defer { router.close(); dealer.close() }
        try dealer.send(parts: [Array("ping".utf8)])
        let request = try XCTUnwrap(try router.receive(timeoutMilliseconds: 5000))
        XCTAssertEqual(request, [Array("worker-1".utf8), Array("ping".utf8)])
        try router.send(parts: [request[0], Array("pong".utf8)])
        XCTAssertEqual(try dealer.receive(timeoutMilliseconds: 5000), [Array("pong".utf8)])
    }

    func testMultipartKeepsPartsAndEmptyParts() throws {
        let (router, dealer) = try routerDealer()
        defer { router.close(); dealer.close() }
        let parts: [[UInt8]] = [[1], [], Array(repeating: 7, count: 100_000), [2, 3]]
        try dealer.send(parts: parts)
        let received = try XCTUnwrap(try router.receive(timeoutMilliseconds: 5000))
        XCTAssertEqual(Array(received.dropFirst()), parts)
    }

    func testReceiveTimeoutReturnsNil() throws {
        let (router, dealer) = try routerDealer()
        defer { router.close(); dealer.close() }
        let start = Date()
        XCTAssertNil(try router.receive(timeoutMilliseconds: 100))
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(start), 0.09)
        XCTAssertNil(try dealer.receive(timeoutMilliseconds: 0))
    }

    func testFrameRoundTripThroughSocket() throws {
        let (router, dealer) = try routerDealer()
        defer { router.close(); dealer.close() }
        let values = (0..<1000).map { Float($0) * 0.001 }
        let frame = Frame(kind: 3, flags: 1, header: [9, 9], body: TensorCodec.encode(values))
        XCTAssertTrue(try dealer.send(frame: frame))
        let message = try XCTUnwrap(try router.receive(timeoutMilliseconds: 5000))
        XCTAssertEqual(message.count, 2)
        let decoded = try Frame.decode(message[1], maxBodyBytes: 1 << 20)
        XCTAssertEqual(decoded, frame)
        XCTAssertEqual(try TensorCodec.decode(decoded.body, expectedCount: 1000), values)
    }

    func testPairAndPollerOverInproc() throws {
        let context = try ZMQContext()
        let a = try ZMQSocket(.pair, context: context), b = try ZMQSocket(.pair, context: context)
        let c = try ZMQSocket(.pair, context: context), d = try ZMQSocket(.pair, context: context)
        defer { [a, b, c, d].forEach { $0.close() } }
        try a.bind("inproc://control"); try b.connect("inproc://control")
        try c.bind("inproc://data"); try d.connect("inproc://data")
        let poller = Poller([a, c])
        XCTAssertEqual(try poller.wait(timeoutMilliseconds: 10), [])
        try d.send(parts: [[42]])
        XCTAssertEqual(try poller.wait(timeoutMilliseconds: 2000), [1])
        XCTAssertEqual(try c.receive(timeoutMilliseconds: 0), [[42]])
    }

    func testRouterMandatoryReportsUnknownPeer() throws {
        let router = try ZMQSocket(.router)
        defer { router.close() }
        try router.setRouterMandatory(true)
        try router.bind("tcp://127.0.0.1:*")
        XCTAssertThrowsError(try router.send(parts: [Array("nobody".utf8), [1]])) { error in
            let transport = error as? TransportError
            XCTAssertEqual(transport?.isUnreachable, true, "\(error)")
            XCTAssertTrue("\(error)".contains("send part 1 of 2"))
        }
    }

    func testOptionsAndErrors() throws {
        let socket = try ZMQSocket(.dealer)
        XCTAssertEqual(try socket.linger(), 0, "linger 0 by default")
        try socket.setLinger(milliseconds: 250)
        XCTAssertEqual(try socket.linger(), 250)
        try socket.setSendHighWaterMark(100)
        try socket.setReceiveHighWaterMark(100)
        try socket.setReceiveTimeout(milliseconds: 10)
        try socket.setSendTimeout(milliseconds: 10)
        try socket.setMaxMessageSize(1 << 20)
        try socket.setImmediate(true)
        try socket.setReconnectInterval(milliseconds: 100, maxMilliseconds: 2000)
        try socket.setRoutingID([1, 2, 3])
        XCTAssertEqual(try socket.routingID(), [1, 2, 3])
        XCTAssertThrowsError(try socket.bind("nonsense://x")) { XCTAssertTrue("\($0)".hasPrefix("zmq_bind nonsense://x: ")) }
        // With immediate and no peer, a non-blocking send says "not now" instead of queuing.
        try socket.connect("tcp://127.0.0.1:1")
        XCTAssertFalse(try socket.send(parts: [[1]], dontWait: true))
        socket.close()
        socket.close()
        XCTAssertFalse(socket.isOpen)
        XCTAssertThrowsError(try socket.send(parts: [[1]])) { XCTAssertTrue("\($0)".contains("closed")) }
        XCTAssertThrowsError(try socket.receive(timeoutMilliseconds: 0))
    }

    func testMaxMessageSizeDropsOversizeMessages() throws {
        let router = try ZMQSocket(.router)
        defer { router.close() }
        try router.setMaxMessageSize(1000)
        try router.bind("tcp://127.0.0.1:*")
        let endpoint = try router.lastEndpoint
        let big = try ZMQSocket(.dealer)
        defer { big.close() }
        try big.connect(endpoint)
        try big.send(parts: [[UInt8](repeating: 1, count: 5000)])
        XCTAssertNil(try router.receive(timeoutMilliseconds: 300), "libzmq drops the peer, not Trellis")
        let small = try ZMQSocket(.dealer)
        defer { small.close() }
        try small.connect(endpoint)
        try small.send(parts: [[1, 2, 3]])
        XCTAssertEqual(try router.receive(timeoutMilliseconds: 5000)?.last, [1, 2, 3])
    }
}
