import Foundation
import TrellisTraining
import TrellisWire

/// Throughput and wire figures of one epoch, for the coordinator's progress line.
public struct EpochStats {
    /// The link's byte counters when the epoch began (kept by the shell).
    public var sentBase = 0, receivedBase = 0
    public var payloadBase = EncodedStats.zero
    /// Triples trained, and the workers' reported seconds per phase.
    public var triples = 0
    public var sample = 0.0, pull = 0.0, compute = 0.0, push = 0.0

    public init(sentBase: Int = 0, receivedBase: Int = 0, payloadBase: EncodedStats = .zero) {
        self.sentBase = sentBase
        self.receivedBase = receivedBase
        self.payloadBase = payloadBase
    }

    mutating func add(_ c: Contribution, timings: [Float]) {
        triples += c.triples
        if timings.count == 4 {
            sample += Double(timings[0]); pull += Double(timings[1]); compute += Double(timings[2]); push += Double(timings[3])
        }
    }

    /// The progress line of the epoch.
    public func line(epoch: Int, seconds: Double, steps: Int, record: EpochRecord, metric: String, link: Link) -> String {
        let sent = Double(link.bytesSent - sentBase) / 1e6, received = Double(link.bytesReceived - receivedBase) / 1e6
        let raw = link.payload.rawBytes - payloadBase.rawBytes, encoded = link.payload.encodedBytes - payloadBase.encodedBytes
        // With parameter-server processes no float payload passes through here: no ratio to show.
        let ratio = raw > 0 && encoded > 0 ? String(format: "%.2fx", Double(raw) / Double(encoded)) : "n/a"
        var s = String(format: "epoch %d  loss %.4f  %.2f s  %.1f steps/s  %.0f samples/s  sent %.1f MB  received %.1f MB  compression %@  "
                       + "worker time: sample %.2f s, pull %.2f s, compute %.2f s, push %.2f s",
                       epoch, record.loss, seconds, Double(steps) / seconds, Double(triples) / seconds, sent, received, ratio,
                       sample, pull, compute, push)
        if let v = record.metrics[metric] { s += String(format: "  valid %@ %.4f", metric, v) }
        return s
    }
}
