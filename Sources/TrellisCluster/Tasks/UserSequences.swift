/// Links grouped by user, each user's items kept in link order (a leave-one-out or time split
/// lists them in time order, ties in file order): the sequences a next-item task reads.
///
///     users     distinct users, ascending
///     items     every user's items, user after user        items[starts[k] ..< starts[k + 1]]
public struct UserSequences: Sendable {
    public let users: [Int32]
    public let starts: [Int]
    public let items: [Int32]

    /// Link k is users[k] -> items[k]; a stable counting sort by user.
    public init(users linkUsers: [Int32], items linkItems: [Int32]) {
        precondition(linkUsers.count == linkItems.count, "UserSequences: \(linkUsers.count) users, \(linkItems.count) items")
        let span = Int(linkUsers.max() ?? -1) + 1
        var counts = [Int](repeating: 0, count: span + 1)
        for u in linkUsers { counts[Int(u) + 1] += 1 }
        for u in 0..<span { counts[u + 1] += counts[u] }
        var next = counts, items = [Int32](repeating: 0, count: linkItems.count)
        for (u, i) in zip(linkUsers, linkItems) {
            items[next[Int(u)]] = i
            next[Int(u)] += 1
        }
        var users: [Int32] = [], starts: [Int] = []
        for u in 0..<span where counts[u + 1] > counts[u] {
            users.append(Int32(u))
            starts.append(counts[u])
        }
        starts.append(items.count)
        self.users = users
        self.starts = starts
        self.items = items
    }

    /// User k's items, oldest first.
    public func sequence(_ k: Int) -> ArraySlice<Int32> { items[starts[k]..<starts[k + 1]] }

    /// The position of `user` in `users`, or nil.
    public func index(of user: Int32) -> Int? {
        var (low, high) = (0, users.count)
        while low < high {
            let mid = (low + high) / 2
            if users[mid] < user { low = mid + 1 } else { high = mid }
        }
        return low < users.count && users[low] == user ? low : nil
    }
}
