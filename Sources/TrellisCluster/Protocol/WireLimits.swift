import TrellisTensor

/// What a receiver knows about valid messages: every count and id read from a peer is checked
/// against these before anything is allocated or written.
///
/// Sizes follow from the run's shapes (`sizeFromShapes()`): no legitimate frame carries more
/// than the whole state (every table and dense weight, with two optimizer moments each) in
/// float32, so that bounds both what a frame may be on the wire and what it may inflate to.
public struct WireLimits: Sendable, Equatable {
    /// Rows and width of each table (empty until the run spec is known).
    public var tableRows: [Int] = []
    public var tableDimensions: [Int] = []
    /// Kind of each table: a push carrying rows of a frozen one is refused.
    public var tableKinds: [TableKind] = []
    /// Shape of each dense parameter.
    public var denseShapes: [[Int]] = []
    public var partitionCount = Int(UInt16.max)
    public var relationCount = 16
    public var nodeCounts: [Int] = []
    /// Parameter-server shards the tables are spread over (the shapes of a `shardState`).
    public var shardCount = 1
    /// Largest frame body accepted (also set as ZMQ_MAXMSGSIZE on sockets).
    public var maxBodyBytes = 1 << 30
    /// Most bytes the float and id blocks of one frame may decode to (LZ4 inflates up to
    /// 255x, so this, not the frame size, bounds what a frame can make a process allocate).
    public var maxDecodedBytes = 1 << 30
    /// Largest list of ids, nodes or links in one message.
    public var maxItems = 1 << 28
    public var maxStringBytes = 1 << 20

    /// The most a peer may send before it is known: a join carries a token and a name.
    public static let joinFrameBytes = 16 << 10

    public init() {}

    /// Floats in every table and dense weight of the run.
    public var stateFloats: Int {
        zip(tableRows, tableDimensions).reduce(0) { $0 + $1.0 * $1.1 } + denseShapes.reduce(0) { $0 + $1.reduce(1, *) }
    }

    /// The largest single tensor shard `shard` holds: a table's rows on it, or a dense weight.
    func largestShardTensor(shard: Int) -> Int {
        let sharding = ServerSharding(count: max(shardCount, 1))
        let tables = zip(tableRows, tableDimensions).map { sharding.rowCount($0.0, shard: shard) * $0.1 }
        return max(tables.max() ?? 0, denseShapes.map { $0.reduce(1, *) }.max() ?? 0)
    }

    /// Sets `maxBodyBytes` and `maxDecodedBytes` from the shapes: four float32 copies of the
    /// state (weights, two moments, and room for ids), plus 64 MiB of frame for id lists and
    /// sample replies (ids, and the sampled edges' attribute values), and 1 MiB of decoding slack.
    public mutating func sizeFromShapes() {
        let state = 16 * stateFloats
        maxDecodedBytes = state + (1 << 20)
        maxBodyBytes = state + (64 << 20)
    }
}
