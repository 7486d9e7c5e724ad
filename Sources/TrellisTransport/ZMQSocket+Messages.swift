import CZeroMQ
import TrellisWire

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: Sending and receiving

extension ZMQSocket {
    /// Sends `parts` as one multipart message (delivered all or nothing).
    ///
    /// With `dontWait`, returns false instead of blocking when the message cannot be queued
    /// now (high-water mark reached, or no peer yet under `immediate`). Throws for every
    /// other failure, e.g. EHOSTUNREACH from a ROUTER with `routerMandatory`.
    @discardableResult
    public func send(parts: [[UInt8]], dontWait: Bool = false) throws -> Bool {
        precondition(!parts.isEmpty, "ZMQSocket.send: a message needs at least one part")
        let last = parts[parts.count - 1]
        return try send(parts: parts.dropLast(), last: last.count, dontWait: dontWait) { buffer in
            last.withUnsafeBytes { buffer.copyMemory(from: $0) }
        }
    }

    /// Sends `parts` and then a last part of `count` bytes that `fill` writes in place, in
    /// libzmq's own buffer, so a large part is copied once (a partition read from its file).
    /// A throw from `fill` sends nothing.
    @discardableResult
    public func send(parts: ArraySlice<[UInt8]>, last count: Int, dontWait: Bool = false,
                     fill: (UnsafeMutableRawBufferPointer) throws -> Void) throws -> Bool {
        let socket = try open("send")
        var last = zmq_msg_t()
        guard zmq_msg_init_size(&last, count) == 0 else { throw TransportError.last("zmq_msg_init_size \(count) bytes") }
        do {
            if count > 0 { try fill(UnsafeMutableRawBufferPointer(start: zmq_msg_data(&last), count: count)) }
        } catch {
            zmq_msg_close(&last)
            throw error
        }
        let total = parts.count + 1
        for i in 0..<total {
            var message = zmq_msg_t()
            if i < parts.count {
                let part = parts[parts.startIndex + i]
                guard zmq_msg_init_size(&message, part.count) == 0 else {
                    zmq_msg_close(&last)
                    throw TransportError.last("zmq_msg_init_size \(part.count) bytes")
                }
                if !part.isEmpty {
                    part.withUnsafeBytes { zmq_msg_data(&message).copyMemory(from: $0.baseAddress!, byteCount: part.count) }
                }
            } else {
                message = last
            }
            var flags: Int32 = i < total - 1 ? ZMQ_SNDMORE : 0
            if dontWait { flags |= ZMQ_DONTWAIT }
            while zmq_msg_send(&message, socket, flags) < 0 {
                let error = TransportError.last("send part \(i + 1) of \(total)")
                if error.errno == EINTR { continue }
                zmq_msg_close(&message)
                if i < total - 1 { zmq_msg_close(&last) }
                // Once the first part is queued libzmq accepts the rest, so only it can say "later".
                if error.isWouldBlock && dontWait && i == 0 { return false }
                throw error
            }
        }
        return true
    }

    /// Sends one frame's bytes as a single part.
    public func send(frame: Frame, dontWait: Bool = false) throws -> Bool {
        try send(parts: [], last: frame.encodedSize, dontWait: dontWait) { frame.write(into: $0) }
    }

    /// The next multipart message, or nil if none arrives within `timeoutMilliseconds`
    /// (0 = only what is already queued, -1 = wait forever).
    public func receive(timeoutMilliseconds: Int) throws -> [[UInt8]]? {
        let socket = try open("receive")
        guard try Poller.wait(on: [self], timeoutMilliseconds: timeoutMilliseconds).contains(0) else { return nil }
        var parts: [[UInt8]] = []
        var more = true
        while more {
            var message = zmq_msg_t()
            zmq_msg_init(&message)
            defer { zmq_msg_close(&message) }
            // The first part is known to be ready; the rest of a multipart message always
            // arrives with it, so neither read can block.
            let flags: Int32 = parts.isEmpty ? ZMQ_DONTWAIT : 0
            while zmq_msg_recv(&message, socket, flags) < 0 {
                let error = TransportError.last("receive part \(parts.count + 1)")
                if error.errno == EINTR { continue }
                if error.isWouldBlock && parts.isEmpty { return nil }
                throw error
            }
            let size = zmq_msg_size(&message)
            let data = zmq_msg_data(&message)
            parts.append([UInt8](unsafeUninitializedCapacity: size) { buffer, initialised in
                if size > 0 { UnsafeMutableRawBufferPointer(buffer).copyMemory(from: UnsafeRawBufferPointer(start: data, count: size)) }
                initialised = size
            })
            more = zmq_msg_more(&message) != 0
        }
        return parts
    }
}
