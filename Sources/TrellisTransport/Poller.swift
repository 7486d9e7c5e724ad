import CZeroMQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Waits until any of several sockets has a message to read (zmq_poll).
///
/// A role's event loop polls its sockets (peers, control pair, timers by timeout) from the
/// one thread that owns them all.
public struct Poller {
    /// The sockets watched, in the order `wait` reports indices.
    public var sockets: [ZMQSocket]

    /// A poller over `sockets`.
    public init(_ sockets: [ZMQSocket]) {
        self.sockets = sockets
    }

    /// Indices into `sockets` of those with a message ready; empty when `timeoutMilliseconds`
    /// (0 = no wait, -1 = forever) passes first.
    public func wait(timeoutMilliseconds: Int) throws -> [Int] {
        try Poller.wait(on: sockets, timeoutMilliseconds: timeoutMilliseconds)
    }

    /// Indices of `sockets` readable within `timeoutMilliseconds`.
    public static func wait(on sockets: [ZMQSocket], timeoutMilliseconds: Int) throws -> [Int] {
        var items = try sockets.map { socket in
            zmq_pollitem_t(socket: try socket.open("zmq_poll"), fd: 0, events: Int16(ZMQ_POLLIN), revents: 0)
        }
        let deadline = timeoutMilliseconds > 0 ? monotonicMilliseconds() + timeoutMilliseconds : 0
        var timeout = timeoutMilliseconds
        while true {
            let ready = zmq_poll(&items, Int32(items.count), timeout)
            if ready >= 0 { break }
            let error = TransportError.last("zmq_poll \(sockets.count) sockets")
            guard error.errno == EINTR else { throw error }
            // A signal cut the wait short: resume with what is left of the timeout.
            if timeoutMilliseconds > 0 { timeout = max(0, deadline - monotonicMilliseconds()) }
        }
        return items.indices.filter { items[$0].revents & Int16(ZMQ_POLLIN) != 0 }
    }

    private static func monotonicMilliseconds() -> Int {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int(ts.tv_sec) * 1000 + Int(ts.tv_nsec) / 1_000_000
    }
}
