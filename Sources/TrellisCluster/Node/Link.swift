import Foundation
import Logging
import TrellisTransport
import TrellisWire

/// A socket plus the message codec: sends `Message`s, receives and validates them, and counts
/// the bytes both ways. One thread owns a link (and its socket).
public final class Link {
    /// What is known of a frame before its contents are decoded: its kind, the session it
    /// claims, its size and its sender.
    public struct Peek {
        public let kind: Message.Kind
        public let session: UInt64?
        public let bytes: Int
        public let envelope: [UInt8]?
    }

    /// Whether to decode a frame: `refuse(reply)` drops it undecoded, answering `reply` if given.
    public enum Admission: Equatable {
        case decode
        case refuse(Message?)
    }

    public let socket: ZMQSocket
    /// Bounds for decoding; the socket's message size limit follows `maxBodyBytes` (for
    /// connections made after the change).
    public var limits: WireLimits {
        didSet { if limits.maxBodyBytes != oldValue.maxBodyBytes { try? socket.setMaxMessageSize(limits.maxBodyBytes + (1 << 20)) } }
    }
    public var codec: CodecOptions
    /// Decides from a frame's envelope whether it is worth decoding (nil: decode everything).
    /// A receiver that knows its members uses it so that a stranger's frame costs its CRC
    /// and nothing more.
    public var admit: ((Peek) -> Admission)?
    let logger: Logger
    /// Bytes of whole frames sent and received.
    public private(set) var bytesSent = 0, bytesReceived = 0
    /// Float payloads: raw float32 size vs encoded size, both directions.
    public private(set) var payload = EncodedStats.zero
    /// Frames rejected as malformed.
    public private(set) var rejected = 0

    public init(socket: ZMQSocket, limits: WireLimits, codec: CodecOptions, logger: Logger) throws {
        self.socket = socket
        self.limits = limits
        self.codec = codec
        self.logger = logger
        try socket.setMaxMessageSize(limits.maxBodyBytes + (1 << 20))
    }

    /// Sends `message`, preceded by `envelope` (a ROUTER's peer id).
    public func send(_ message: Message, to envelope: [UInt8]? = nil) throws {
        let (frame, stats) = message.frame(codec: codec)
        // Written straight into libzmq's buffer: a whole table's rows are copied once, not twice.
        _ = try socket.send(parts: ArraySlice(envelope.map { [$0] } ?? []), last: frame.encodedSize) { frame.write(into: $0) }
        bytesSent += frame.encodedSize
        payload = payload + stats
    }

    /// Sends a frame of `count` bytes that `fill` writes in place (see `ZMQSocket.send(parts:last:fill:)`).
    public func send(frameBytes count: Int, to envelope: [UInt8]? = nil, fill: (UnsafeMutableRawBufferPointer) throws -> Void) throws {
        _ = try socket.send(parts: ArraySlice(envelope.map { [$0] } ?? []), last: count, fill: fill)
        bytesSent += count
    }

    /// The next valid message within `timeout` ms, with the sender's envelope (ROUTER) — nil on
    /// timeout. A malformed frame is logged, counted and skipped: never a crash.
    public func receive(timeoutMilliseconds timeout: Int) throws -> (message: Message, envelope: [UInt8]?)? {
        var wait = timeout
        // A loop, not recursion: a peer flooding bad frames must not grow the stack.
        while let parts = try socket.receive(timeoutMilliseconds: wait) {
            wait = 0  // after a rejected frame, take only what is already queued
            let envelope = parts.count > 1 ? parts[0] : nil
            guard let bytes = parts.last else { continue }
            bytesReceived += bytes.count
            do {
                // Read where it lies: an assignment frame can be hundreds of MB.
                let layout = try Frame.check(bytes, maxBodyBytes: limits.maxBodyBytes, maxHeaderBytes: limits.maxBodyBytes)
                guard let kind = Message.Kind(rawValue: layout.kind) else {
                    throw WireError.outOfRange("message.kind", what: "kind", found: "\(layout.kind)", allowed: "1...\(Message.Kind.allCases.count)")
                }
                let session = Message.peekSession(kind: kind, header: ByteReader(bytes, range: layout.header))
                if let admit, case .refuse(let reply) = admit(Peek(kind: kind, session: session, bytes: bytes.count, envelope: envelope)) {
                    rejected += 1
                    if let reply { try send(reply, to: envelope) }
                    continue
                }
                let message = try Message.decode(bytes, layout: layout, limits: limits)
                if case .push(_, _, let c, _, _) = message {
                    let raw = c.rows.reduce(0) { $0 + 4 * ($1.rowIDs.count + $1.values.count) } + c.dense.reduce(0) { $0 + 4 * ($1?.count ?? 0) }
                    payload = payload + EncodedStats(rawBytes: raw, encodedBytes: bytes.count)
                }
                return (message, envelope)
            } catch {
                rejected += 1
                // A flood of bad frames must not become a flood of log lines: the first ten,
                // then one in a thousand.
                if rejected <= 10 || rejected % 1000 == 0 {
                    logger.warning("rejected a frame", metadata: ["bytes": "\(bytes.count)", "reason": "\(error)", "rejected": "\(rejected)",
                                                                  "peer": "\(envelope.map(hex) ?? "coordinator")"])
                }
            }
        }
        return nil
    }
}

/// Short hex of a peer id for logs.
func hex(_ bytes: [UInt8]) -> String { bytes.prefix(8).map { String(format: "%02x", $0) }.joined() }
