import Foundation
import TrellisGraph
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
    /// Neighbour samples of other partitions' nodes routed here during the epoch's training
    /// steps (evaluation's are not counted): what the partitioning costs on the wire.
    public var remote = SamplingTraffic()

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

    /// The epoch's figures as a `cluster.jsonl` line: throughput, bytes on `link` since the
    /// epoch began, the payload's compression (none when no float payload passed here, as
    /// with parameter-server processes), and the workers' seconds per phase.
    public func record(epoch: Int, seconds: Double, steps: Int, at: Double, workers: Int, link: Link) -> ClusterRecord {
        var r = ClusterRecord(kind: .epoch, epoch: epoch, step: steps, at: at)
        r.seconds = seconds
        r.stepsPerSecond = Double(steps) / seconds
        r.samplesPerSecond = Double(triples) / seconds
        r.sentBytes = Double(link.bytesSent - sentBase)
        r.receivedBytes = Double(link.bytesReceived - receivedBase)
        let raw = link.payload.rawBytes - payloadBase.rawBytes, encoded = link.payload.encodedBytes - payloadBase.encodedBytes
        r.compression = raw > 0 && encoded > 0 ? Double(raw) / Double(encoded) : nil
        (r.sampleSeconds, r.pullSeconds, r.computeSeconds, r.pushSeconds) = (sample, pull, compute, push)
        r.workers = workers
        (r.samplingRequests, r.samplingNodes, r.samplingEdges, r.samplingBytes) = (remote.requests, remote.nodes, remote.edges, remote.bytes)
        return r
    }

    /// The progress line of the epoch, from its `record`.
    public static func line(_ r: ClusterRecord, loss: Double, metric: String, value: Double?) -> String {
        var s = String(format: "epoch %d  loss %.4f  %.2f s  %.1f steps/s  %.0f samples/s  sent %.1f MB  received %.1f MB  compression %@  "
                       + "worker time: sample %.2f s, pull %.2f s, compute %.2f s, push %.2f s",
                       r.epoch, loss, r.seconds ?? 0, r.stepsPerSecond ?? 0, r.samplesPerSecond ?? 0, (r.sentBytes ?? 0) / 1e6,
                       (r.receivedBytes ?? 0) / 1e6, r.compression.map { String(format: "%.2fx", $0) } ?? "n/a",
                       r.sampleSeconds ?? 0, r.pullSeconds ?? 0, r.computeSeconds ?? 0, r.pushSeconds ?? 0)
        s += String(format: "  remote sampling: %d requests, %d nodes, %d edges, %.1f MB",
                    r.samplingRequests ?? 0, r.samplingNodes ?? 0, r.samplingEdges ?? 0, Double(r.samplingBytes ?? 0) / 1e6)
        if let value { s += String(format: "  valid %@ %.4f", metric, value) }
        return s
    }
}

/// Neighbour-sampling requests routed from one worker to the owner of the nodes, and what the
/// requests and replies carried.
public struct SamplingTraffic: Equatable, Sendable {
    public var requests = 0
    /// Nodes asked for, and neighbours (edges) drawn for them.
    public var nodes = 0, edges = 0
    /// Payload of requests and replies: 4 bytes per node asked, per count and neighbour
    /// returned, and per edge attribute value (frame headers not counted). Each byte crosses
    /// the coordinator's socket twice (in, then forwarded).
    public var bytes = 0

    public init() {}

    mutating func asked(_ r: SampleRequest) {
        requests += 1
        nodes += r.nodes.count
        bytes += 4 * r.nodes.count
    }

    mutating func answered(_ s: SampledNeighbours) {
        edges += s.neighbours.count
        bytes += 4 * (s.counts.count + s.neighbours.count + s.values.count)
    }
}
