/// (user, item, rating) triples in columns: the training or held-out part of a rating task.
/// Ids are dense (`0..<userCount`, `0..<itemCount`) as in `InteractionTable`, whose `users`,
/// `items` and `ratings` columns can be passed as they are.
public struct RatedPairs: Sendable, Equatable {
    /// Internal user id per pair.
    public var users: [Int32]
    /// Internal item id per pair.
    public var items: [Int32]
    /// Observed rating per pair.
    public var ratings: [Float]

    /// Pairs from columns of equal length.
    public init(users: [Int32], items: [Int32], ratings: [Float]) {
        precondition(users.count == items.count && users.count == ratings.count,
                     "RatedPairs: columns differ in length (\(users.count) users, \(items.count) items, \(ratings.count) ratings)")
        self.users = users
        self.items = items
        self.ratings = ratings
    }

    /// Number of pairs.
    public var count: Int { users.count }

    /// The mean rating (0 with no pairs), summed in Double.
    public var meanRating: Double {
        count > 0 ? ratings.reduce(0.0) { $0 + Double($1) } / Double(count) : 0
    }
}
