/// A two-way map between raw string ids (as in the data files) and dense internal ids.
///
/// Internal ids are `Int32` and assigned in first-seen order, `0..<count`, so they can
/// index embedding tables directly. The map only grows: interning never renumbers, which
/// is what lets a test file extend a train file's map without disturbing its ids.
public struct IDMap: Sendable, Equatable {
    private var index: [String: Int32] = [:]
    /// Raw ids in internal-id order: `raws[Int(id)]` is the raw id of `id`.
    public private(set) var raws: [String] = []

    /// An empty map.
    public init() {}

    /// A map interning `raws` in order (duplicates keep their first id).
    public init<S: Sequence>(_ raws: S) where S.Element == String {
        for raw in raws { intern(raw) }
    }

    /// Number of distinct ids.
    public var count: Int { raws.count }

    /// The internal id of `raw`, assigning the next free id if it is new.
    @discardableResult
    public mutating func intern(_ raw: String) -> Int32 {
        if let id = index[raw] { return id }
        precondition(raws.count < Int(Int32.max), "IDMap: more than Int32.max ids")
        let id = Int32(truncatingIfNeeded: raws.count)
        index[raw] = id
        raws.append(raw)
        return id
    }

    /// The internal id of `raw`, or nil if it was never interned.
    public func id(of raw: String) -> Int32? { index[raw] }

    /// The raw id of internal id `id` (which must be in `0..<count`).
    public func raw(of id: Int32) -> String { raws[Int(id)] }

    /// Whether `raw` has an internal id.
    public func contains(_ raw: String) -> Bool { index[raw] != nil }

    /// Maps are equal when they hold the same raw ids in the same order.
    public static func == (lhs: IDMap, rhs: IDMap) -> Bool { lhs.raws == rhs.raws }
}
