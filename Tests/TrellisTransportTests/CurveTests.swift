import XCTest
import TrellisTransport

/// CURVE over loopback: a client that knows the server's public key talks; a client with the
/// wrong key or no CURVE at all gets nothing through, and the server goes on serving.
final class CurveTests: XCTestCase {
    override func setUpWithError() throws {
        try XCTSkipUnless(CurveKeyPair.isAvailable, "this libzmq has no CURVE (built without libsodium)")
    }

    /// A ROUTER on an ephemeral loopback port with `security`, and its endpoint.
    private func server(_ security: SocketSecurity) throws -> (ZMQSocket, String) {
        let router = try ZMQSocket(.router)
        try security.apply(to: router)
        try router.bind("tcp://127.0.0.1:*")
        return (router, try router.lastEndpoint)
    }

    private func client(_ security: SocketSecurity, to endpoint: String) throws -> ZMQSocket {
        let dealer = try ZMQSocket(.dealer)
        try security.apply(to: dealer)
        try dealer.connect(endpoint)
        return dealer
    }

    private func curveClient(serverPublicKey: String) throws -> SocketSecurity {
        .curveClient(serverPublicKey: serverPublicKey, keys: try CurveKeyPair.generate())
    }

    // MARK: Keys

    func testGeneratedPairsAreFreshAndThePublicHalfDerivesFromTheSecret() throws {
        let a = try CurveKeyPair.generate(), b = try CurveKeyPair.generate()
        XCTAssertNotEqual(a.secretKey, b.secretKey)
        XCTAssertEqual([a.publicKey.count, a.secretKey.count], [40, 40])
        XCTAssertEqual(try CurveKeyPair.publicKey(fromSecret: a.secretKey), a.publicKey)
        XCTAssertEqual(try CurveKeyPair(secretKey: b.secretKey), b)
        XCTAssertFalse("\(a)".contains(a.secretKey), "a pair's description hides the secret")
        XCTAssertFalse("\(SocketSecurity.curveServer(secretKey: a.secretKey))".contains(a.secretKey))
    }

    func testMalformedKeysThrowSayingWhatWasExpected() throws {
        let good = try CurveKeyPair.generate().secretKey
        let cases: [(key: String, found: String)] = [
            ("short", "found 5 characters"),
            (good + "x", "found 41 characters"),
            (String(good.dropLast()) + "~", "outside it at position 40"),
            ("é" + String(good.dropFirst()), "outside it at position 1"),
            (String(repeating: "#", count: 40), "larger than 32 bits"),
        ]
        for (key, found) in cases {
            XCTAssertThrowsError(try CurveKeyPair.publicKey(fromSecret: key)) { error in
                let text = "\(error)"
                XCTAssert(text.hasPrefix("CURVE secret key: expected 40 characters of the Z85 alphabet"), text)
                XCTAssert(text.contains(found), text)
                XCTAssertFalse(text.contains(key), "the error does not repeat a possibly secret key")
            }
        }
        let socket = try ZMQSocket(.dealer)
        defer { socket.close() }
        let badClient = SocketSecurity.curveClient(serverPublicKey: "not a key", keys: try CurveKeyPair.generate())
        XCTAssertThrowsError(try badClient.apply(to: socket)) {
            XCTAssert("\($0)".hasPrefix("CURVE server public key: expected 40 characters"), "\($0)")
        }
    }

    func testSecurityAfterBindOrConnectIsRefused() throws {
        let (router, endpoint) = try server(.none)
        defer { router.close() }
        XCTAssertThrowsError(try SocketSecurity.curveServer(secretKey: try CurveKeyPair.generate().secretKey).apply(to: router)) {
            XCTAssert("\($0)".contains("set security before bind or connect"), "\($0)")
        }
        let dealer = try client(.none, to: endpoint)
        defer { dealer.close() }
        XCTAssertThrowsError(try curveClient(serverPublicKey: try CurveKeyPair.generate().publicKey).apply(to: dealer))
    }

    // MARK: Traffic

    func testCurveRouterAndDealerExchangeMessages() throws {
        let keys = try CurveKeyPair.generate()
        let (router, endpoint) = try server(.curveServer(secretKey: keys.secretKey))
        let dealer = try client(try curveClient(serverPublicKey: keys.publicKey), to: endpoint)
        defer { router.close(); dealer.close() }
        try dealer.send(parts: [Array("ping".utf8)])
        let request = try XCTUnwrap(try router.receive(timeoutMilliseconds: 5000))
        XCTAssertEqual(request.last, Array("ping".utf8))
        try router.send(parts: [request[0], Array("pong".utf8)])
        XCTAssertEqual(try dealer.receive(timeoutMilliseconds: 5000), [Array("pong".utf8)])
    }

    func testWrongServerKeyGetsNothingAndTheServerStillServesTheRightOne() throws {
        let keys = try CurveKeyPair.generate()
        let (router, endpoint) = try server(.curveServer(secretKey: keys.secretKey))
        defer { router.close() }
        let impostorKey = try CurveKeyPair.generate().publicKey
        let misled = try client(try curveClient(serverPublicKey: impostorKey), to: endpoint)
        defer { misled.close() }
        try misled.send(parts: [Array("hello?".utf8)])
        XCTAssertNil(try router.receive(timeoutMilliseconds: 500), "the handshake fails: nothing reaches the server")
        XCTAssertNil(try misled.receive(timeoutMilliseconds: 0))

        let right = try client(try curveClient(serverPublicKey: keys.publicKey), to: endpoint)
        defer { right.close() }
        try right.send(parts: [Array("hello".utf8)])
        XCTAssertEqual(try router.receive(timeoutMilliseconds: 5000)?.last, Array("hello".utf8))
    }

    func testPlaintextAndCurvePeersCannotTalk() throws {
        let keys = try CurveKeyPair.generate()
        let (curveRouter, curveEndpoint) = try server(.curveServer(secretKey: keys.secretKey))
        let plain = try client(.none, to: curveEndpoint)
        defer { curveRouter.close(); plain.close() }
        try plain.send(parts: [Array("in the clear".utf8)])
        XCTAssertNil(try curveRouter.receive(timeoutMilliseconds: 500), "a CURVE server drops a plaintext peer")

        // The other way round: a CURVE client never sends to a plaintext server.
        let (plainRouter, plainEndpoint) = try server(.none)
        let curve = try client(try curveClient(serverPublicKey: keys.publicKey), to: plainEndpoint)
        defer { plainRouter.close(); curve.close() }
        try curve.send(parts: [Array("secret".utf8)])
        XCTAssertNil(try plainRouter.receive(timeoutMilliseconds: 500))
    }
}
