import Foundation
import TrellisCore

/// Interaction sequences with the statistics of seed 003's retail + marketplace logs, drawn
/// reproducibly from a seed: 286,000 users, 316,000 items and 9.2 M events at scale 1
/// (`scale` F multiplies all three, so a user's mean sequence, about 32 events, stays).
///
///     domains     items 0..<60% are retail, the rest marketplace
///     topics      items fall into 256 topics (a shuffled block each); a topic's items are
///                 Zipf-popular (1 / (rank + 5)^1.1), topics Zipf-popular among themselves
///     sequences   a user's length ~ 2 + lognormal (heavy-tailed); a hidden Markov chain over
///                 topics: stay with p = 0.75, else move to the next topic (p = 0.15) or a
///                 popular one; within a topic, with p = 0.5 the item after the previous
///                 item is that item's fixed successor (a pattern a sequence model can learn),
///                 else a popular draw; no item twice in a row
///     time        per user from a start in 2021-2023, gaps of an hour on average
public struct RetailSynth: Sendable {
    public static let fullUsers = 286_000, fullItems = 316_000, fullEvents = 9_200_000
    public static let scales: ClosedRange<Double> = 0.001...4
    static let topics = 256, retailShare = 0.6

    public let users: Int, items: Int, eventCount: Int
    public let seed: UInt64

    public init(scale: Double, seed: UInt64) {
        precondition(Self.scales.contains(scale), "RetailSynth: scale \(scale) outside \(Self.scales)")
        users = max(2, Int((Double(Self.fullUsers) * scale).rounded()))
        items = max(Self.topics * 4, Int((Double(Self.fullItems) * scale).rounded()))
        eventCount = max(2 * users, Int((Double(Self.fullEvents) * scale).rounded()))
        self.seed = seed
    }

    /// The drawn events, grouped by user, each user's in time order.
    public struct Events: Sendable {
        public var users: [Int32], items: [Int32], timestamps: [Int64]
        /// Items below this id are retail, the rest marketplace.
        public var retailItems: Int
        /// Events whose item is its predecessor's fixed successor (the learnable share).
        public var successorEvents: Int
    }

    public func generate() -> Events {
        var rng = SeededGenerator(seed: seed, stream: [0x7265_7461])  // "reta"
        // Topics: a shuffled id order cut into equal blocks; each block Zipf-ordered.
        var order = (0..<items).map { Int32($0) }
        rng.shuffle(&order)
        let size = items / Self.topics
        let members = (0..<Self.topics).map { t in Array(order[(t * size)..<(t == Self.topics - 1 ? items : (t + 1) * size)]) }
        let withinTopic = members.map { m in AliasSampler(weights: (0..<m.count).map { 1 / Foundation.pow(Double($0) + 5, 1.1) }) }
        let topicPopularity = AliasSampler(weights: (0..<Self.topics).map { 1 / Foundation.pow(Double($0) + 2, 1.0) })
        var topicOf = [Int32](repeating: 0, count: items), successor = [Int32](repeating: 0, count: items)
        for (t, m) in members.enumerated() {
            for item in m { topicOf[Int(item)] = Int32(t) }
            var shuffled = m
            rng.shuffle(&shuffled)
            for (k, item) in m.enumerated() { successor[Int(item)] = shuffled[k] == item ? m[(k + 1) % m.count] : shuffled[k] }
        }
        let lengths = sequenceLengths()
        var out = Events(users: [], items: [], timestamps: [], retailItems: Int(Double(items) * Self.retailShare), successorEvents: 0)
        out.users.reserveCapacity(eventCount)
        out.items.reserveCapacity(eventCount)
        out.timestamps.reserveCapacity(eventCount)
        for u in 0..<users {
            var urng = SeededGenerator(seed: seed, stream: [0x7365_7175, UInt64(u)])  // "sequ"
            var topic = topicPopularity.draw(using: &urng)
            var previous: Int32 = -1
            var t = Int64(1_609_459_200 + urng.nextInt(below: 3 * 365 * 86_400))  // 2021-01-01 + up to 3 years
            for _ in 0..<lengths[u] {
                let move = urng.nextDouble()
                if move > 0.9 { topic = topicPopularity.draw(using: &urng) } else if move > 0.75 { topic = (topic + 1) % Self.topics }
                var item: Int32
                if previous >= 0, Int(topicOf[Int(previous)]) == topic, urng.nextDouble() < 0.5 {
                    item = successor[Int(previous)]
                    out.successorEvents += 1
                } else {
                    repeat { item = members[topic][withinTopic[topic].draw(using: &urng)] } while item == previous
                }
                t += 1 + Int64(-3_600 * Foundation.log(1 - urng.nextDouble()))
                out.users.append(Int32(u))
                out.items.append(item)
                out.timestamps.append(t)
                previous = item
            }
        }
        return out
    }

    /// Events per user: 2 + lognormal weights scaled so the total is `eventCount`.
    func sequenceLengths() -> [Int] {
        var rng = SeededGenerator(seed: seed, stream: [0x6C65_6E67])  // "leng"
        let weights = (0..<users).map { _ in Foundation.exp(1.2 * Double(rng.nextNormal())) }
        let total = weights.reduce(0, +), extra = eventCount - 2 * users
        var lengths = weights.map { 2 + Int(Double(extra) * $0 / total) }
        var left = eventCount - lengths.reduce(0, +), u = 0
        while left > 0 { lengths[u] += 1; left -= 1; u = (u + 1) % users }
        return lengths
    }
}
