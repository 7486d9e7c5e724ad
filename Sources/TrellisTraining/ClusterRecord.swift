/// One line of a cluster run's `cluster.jsonl`: an epoch's throughput and the workers' time
/// split, or an event on the run's timeline (a checkpoint written, the run resumed, a worker
/// joined or lost), each at the (epoch, step) the run stood at. `trellis report` charts them.
public struct ClusterRecord: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable { case epoch, checkpoint, resumed, workerJoined = "worker_joined", workerLost = "worker_lost" }

    public var kind: Kind
    public var epoch: Int
    public var step: Int
    /// Seconds since the coordinator started serving.
    public var at: Double
    /// What the event concerns: a worker's name and why it was lost, a checkpoint's folder.
    public var detail: String?
    // An epoch's figures: training seconds, throughput, bytes on the coordinator's socket,
    // the payload's compression ratio, and the workers' summed seconds per phase.
    public var seconds: Double?
    public var stepsPerSecond: Double?
    public var samplesPerSecond: Double?
    public var sentBytes: Double?
    public var receivedBytes: Double?
    public var compression: Double?
    public var sampleSeconds: Double?
    public var pullSeconds: Double?
    public var computeSeconds: Double?
    public var pushSeconds: Double?
    public var workers: Int?
    /// Neighbour samples of other partitions' nodes during the epoch's training steps:
    /// requests, nodes asked, edges drawn, payload bytes (see `SamplingTraffic`).
    public var samplingRequests: Int?
    public var samplingNodes: Int?
    public var samplingEdges: Int?
    public var samplingBytes: Int?

    enum CodingKeys: String, CodingKey {
        case kind, epoch, step, at, detail, seconds, workers, compression
        case stepsPerSecond = "steps_per_second", samplesPerSecond = "samples_per_second"
        case sentBytes = "sent_bytes", receivedBytes = "received_bytes"
        case sampleSeconds = "sample_seconds", pullSeconds = "pull_seconds", computeSeconds = "compute_seconds", pushSeconds = "push_seconds"
        case samplingRequests = "sampling_requests", samplingNodes = "sampling_nodes", samplingEdges = "sampling_edges", samplingBytes = "sampling_bytes"
    }

    public init(kind: Kind, epoch: Int, step: Int, at: Double, detail: String? = nil) {
        self.kind = kind
        self.epoch = epoch
        self.step = step
        self.at = at
        self.detail = detail
    }
}
