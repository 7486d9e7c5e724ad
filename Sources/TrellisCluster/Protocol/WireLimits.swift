/// What a receiver knows about valid messages: every count and id read from a peer is checked
/// against these before anything is allocated or written.
public struct WireLimits: Sendable, Equatable {
    /// Rows and width of each table (empty until the run spec is known).
    public var tableRows: [Int] = []
    public var tableDimensions: [Int] = []
    /// Shape of each dense parameter.
    public var denseShapes: [[Int]] = []
    public var partitionCount = Int(UInt16.max)
    public var relationCount = 16
    public var nodeCounts: [Int] = []
    /// Largest frame body accepted (also set as ZMQ_MAXMSGSIZE on sockets).
    public var maxBodyBytes = 1 << 30
    /// Largest list of ids, nodes or links in one message.
    public var maxItems = 1 << 28
    public var maxStringBytes = 1 << 20

    public init() {}
}
