import Foundation
import Logging
import TrellisTransport
import TrellisWire

/// A socket plus the message codec: sends `Message`s, receives and validates them, and counts
/// the bytes both ways. One thread owns a link (and its socket).
public final class Link {
    public let socket: ZMQSocket
    public var limits: WireLimits
    public var codec: CodecOptions
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
        let bytes = frame.encode()
        bytesSent += bytes.count
        payload = payload + stats
        _ = try socket.send(parts: envelope.map { [$0, bytes] } ?? [bytes])
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
                let frame = try Frame.decode(bytes, maxBodyBytes: limits.maxBodyBytes, maxHeaderBytes: limits.maxBodyBytes)
                let message = try Message.decode(frame, limits: limits)
                if case .push(_, _, let c, _) = message {
                    let raw = c.rows.reduce(0) { $0 + 4 * ($1.rowIDs.count + $1.values.count) } + c.dense.reduce(0) { $0 + 4 * ($1?.count ?? 0) }
                    payload = payload + EncodedStats(rawBytes: raw, encodedBytes: bytes.count)
                }
                return (message, envelope)
            } catch {
                rejected += 1
                logger.warning("rejected a frame", metadata: ["bytes": "\(bytes.count)", "reason": "\(error)",
                                                              "peer": "\(envelope.map(hex) ?? "coordinator")"])
            }
        }
        return nil
    }
}

/// Short hex of a peer id for logs.
func hex(_ bytes: [UInt8]) -> String { bytes.prefix(8).map { String(format: "%02x", $0) }.joined() }
