@testable import TrellisCluster
import TrellisCore
import TrellisTensor
import TrellisTraining
import XCTest

/// A parameter-server shard (`ServerRole`) wired by hand to a coordinator (`CoordinatorRole`):
/// the join, the shard's state, granted and forged pushes, a restart and a silent coordinator,
/// with a fake clock and no sockets.
final class ServerRoleTests: XCTestCase {
    let address: [UInt8] = [7]
    let w0: [UInt8] = [0], w1: [UInt8] = [1]

    func server(timeout: Double = 60) -> ServerRole {
        var settings = ServerRole.Settings(token: "", endpoint: "tcp://127.0.0.1:1")
        settings.joinTimeoutSeconds = timeout
        return ServerRole(settings: settings)
    }

    /// Carries the server's directives to the coordinator (and its answers back) until quiet.
    func exchange(_ s: ServerRole, _ c: CoordinatorRoleTests.Scenario, _ first: [ServerRole.Directive]) throws -> [ServerRole.Directive] {
        var seen: [ServerRole.Directive] = [], queue = first
        while !queue.isEmpty {
            let d = queue.removeFirst()
            seen.append(d)
            guard case .toCoordinator(let m) = d else { continue }
            try c.deliver(m, from: address)
            for m in c.inbox(address) { queue += try s.handle(.fromCoordinator(m), now: c.now) }
        }
        return seen
    }

    func worker(_ s: ServerRole, _ m: Message, from e: [UInt8], now: Double = 0) throws -> Message? {
        for d in try s.handle(.fromWorker(m, envelope: e), now: now) { if case .toWorker(let r, _) = d { return r } }
        return nil
    }

    /// A coordinator with one server process, the server loaded, two workers started.
    func loaded() throws -> (ServerRole, CoordinatorRoleTests.Scenario) {
        let c = try CoordinatorRoleTests.Scenario(servers: 1)
        let s = server()
        let seen = try exchange(s, c, try s.handle(.tick, now: 0))
        XCTAssert(seen.contains { if case .ready(let w) = $0 { return w.shard == 0 } else { return false } }, "the shard loaded")
        XCTAssert(c.role.serversReady)
        try c.join(w0)
        try c.join(w1)
        return (s, c)
    }

    func testAServerTakesOnlyPushesGrantedToTheSession() throws {
        let (s, c) = try loaded()
        let t0 = try XCTUnwrap(c.task(w0))
        let push = Message.push(session: c.sessions[w0]!, globalStep: t0.step, contribution: c.contribution(t0.partition, t0.step),
                                timings: [], grant: t0.grant)
        guard case .error(let why) = try worker(s, push, from: w0) else { return XCTFail("a stranger's push was taken") }
        XCTAssert(why.contains("join this server first"), why)
        XCTAssertEqual(try worker(s, .join(token: "", name: "w0"), from: w0), .ack(applied: false))
        // The right task under another session, or with another grant: refused, nothing applied.
        for forged in [Message.push(session: c.sessions[w1]!, globalStep: t0.step, contribution: c.contribution(t0.partition, t0.step), timings: [], grant: t0.grant),
                       Message.push(session: c.sessions[w0]!, globalStep: t0.step, contribution: c.contribution(1, t0.step), timings: [], grant: t0.grant),
                       Message.push(session: c.sessions[w0]!, globalStep: t0.step, contribution: c.contribution(t0.partition, t0.step), timings: [], grant: Grant(tag: t0.grant.tag ^ 1, reductions: 0)),
                       Message.push(session: c.sessions[w0]!, globalStep: t0.step, contribution: c.contribution(t0.partition, t0.step), timings: [], grant: Grant(tag: t0.grant.tag, reductions: 1))] {
            guard case .error(let why) = try worker(s, forged, from: w0) else { return XCTFail("a forged push was taken") }
            XCTAssert(why.contains("grant"), why)
        }
        XCTAssertEqual(s.server?.cursors, [0, 0])
        XCTAssertEqual(try worker(s, push, from: w0), .ack(applied: false))
        XCTAssertEqual(s.server?.cursors, [1, 0])
    }

    func testAServerRejoinsARestartedCoordinatorAndGivesUpOnASilentOne() throws {
        let c = try CoordinatorRoleTests.Scenario(servers: 1)
        let s = server(timeout: 5)
        _ = try exchange(s, c, try s.handle(.tick, now: 0))
        XCTAssertNotNil(s.welcome)
        // A restarted coordinator does not know the session: join again on the next tick.
        _ = try s.handle(.fromCoordinator(.error("unknown session: join again")), now: 1)
        XCTAssertNil(s.server)
        let next = try s.handle(.tick, now: 1.1)
        XCTAssert(next.contains { if case .toCoordinator(.serverJoin) = $0 { return true } else { return false } })
        // Then silence: the server gives up after its join timeout.
        XCTAssertNoThrow(try s.handle(.tick, now: 5.9))
        XCTAssertThrowsError(try s.handle(.tick, now: 6.1)) { XCTAssert("\($0)".contains("no answer"), "\($0)") }
    }

    func testARefusalBeforeTheWelcomeStopsTheServer() throws {
        let s = server()
        _ = try s.handle(.tick, now: 0)
        XCTAssertThrowsError(try s.handle(.fromCoordinator(.error("wrong cluster token")), now: 0.1)) {
            XCTAssert("\($0)".contains("refused this server: wrong cluster token"), "\($0)")
        }
    }

    func testAStateRequestIsAnsweredWithTheShardsState() throws {
        let (s, _) = try loaded()
        let answer = try s.handle(.fromCoordinator(.stateRequest), now: 0)
        guard case .toCoordinator(.shardState(let state)) = answer.first else { return XCTFail("\(answer)") }
        XCTAssertEqual(state.shard, 0)
        XCTAssertEqual(state.version, 0)
        XCTAssertEqual(state.tables.map(\.shape), s.server?.store.tables.map(\.weights.shape))
    }
}
