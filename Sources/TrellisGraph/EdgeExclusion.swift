/// Edges a sample leaves out: the pairs of a node of type `first` and a node of type `second`
/// that a batch supervises, in every relation between the two types, either direction. A
/// rating batch excludes its own (user, item) edges so that no message carries the label the
/// batch is trained to predict (as PyG's disjoint supervision edges do).
public struct EdgeExclusion: Sendable, Equatable {
    public let first: Int
    public let second: Int
    private let pairs: Set<UInt64>

    /// Pairs (firstIDs[k], secondIDs[k]).
    public init(first: Int, second: Int, firstIDs: [Int32], secondIDs: [Int32]) {
        precondition(firstIDs.count == secondIDs.count, "EdgeExclusion: \(firstIDs.count) and \(secondIDs.count) ids")
        self.first = first
        self.second = second
        pairs = Set(zip(firstIDs, secondIDs).map { Self.key($0, $1) })
    }

    /// Pairs excluded.
    public var count: Int { pairs.count }

    /// Whether the edge `source -> target` of `relation` is left out.
    @inlinable public func excludes(_ relation: GraphTopology.Relation, source: Int32, target: Int32) -> Bool {
        if relation.source == first && relation.target == second { return contains(source, target) }
        if relation.source == second && relation.target == first { return contains(target, source) }
        return false
    }

    @usableFromInline func contains(_ a: Int32, _ b: Int32) -> Bool { pairs.contains(Self.key(a, b)) }

    private static func key(_ a: Int32, _ b: Int32) -> UInt64 { UInt64(UInt32(bitPattern: a)) << 32 | UInt64(UInt32(bitPattern: b)) }
}
