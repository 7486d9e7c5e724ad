import TrellisData
import TrellisEval
import TrellisGraph
import TrellisTraining

/// What one partition needs to evaluate the users it owns: their training links (masked when
/// ranking) and their validation and test links, each in dataset order. Ratings are 1 where
/// the data has none.
public struct EvaluationShare: Sendable, Equatable {
    public var train: RatedPairs
    public var valid: RatedPairs
    public var test: RatedPairs

    /// The held-out links of `part`.
    public func held(_ part: EvaluationPart) -> RatedPairs { part == .test ? test : valid }

    /// The links a ranking of `part` masks: training, and validation too for the test.
    public func seen(_ part: EvaluationPart) -> RatedPairs {
        guard part == .test else { return train }
        return RatedPairs(users: train.users + valid.users, items: train.items + valid.items, ratings: train.ratings + valid.ratings)
    }
}

extension TrainingPlan {
    /// Every partition's share of `dataset`'s evaluation, split by the owner of each link's user
    /// (in time order where the task reads sequences, as the training links are); `links` and
    /// `ratings` are each partition's training links.
    static func evaluationShares(_ dataset: PreparedDataset, links: [(users: [Int32], items: [Int32])], ratings: [[Float]],
                                 book: PartitionBook, byTime: Bool) -> [EvaluationShare] {
        func byOwner(_ table: InteractionTable) -> [RatedPairs] {
            var parts = [RatedPairs](repeating: RatedPairs(users: [], items: [], ratings: []), count: links.count)
            for k in Self.rowOrder(table, byTime: byTime) {
                let p = book.owner(type: GraphTopology.user, node: table.users[k])
                parts[p].users.append(table.users[k])
                parts[p].items.append(table.items[k])
                parts[p].ratings.append(table.ratings[k])
            }
            return parts
        }
        let valid = byOwner(dataset.split.valid), test = byOwner(dataset.split.test)
        return links.indices.map { p in
            EvaluationShare(train: RatedPairs(users: links[p].users, items: links[p].items, ratings: ratings[p]),
                            valid: valid[p], test: test[p])
        }
    }
}
