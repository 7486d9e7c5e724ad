import TrellisGraph
import TrellisTraining

extension TrainingPlan {
    /// The user-item graph of the training links. A task that learns ratings passes them along
    /// the edges: as an attribute of each edge (GATv2's edge feature), or as one pair of
    /// relations per rating level with `model.rating_relations`.
    static func graph(_ config: TrainingConfig, taskEntry: TaskEntry, dataset: PreparedDataset) throws -> GraphTopology {
        guard taskEntry.usesRatings else { return GraphTopology.userItem(dataset.trainItems) }
        let t = dataset.split.train
        return config.model.ratingRelations
            ? try GraphTopology.userItemByRating(users: t.users, items: t.items, ratings: t.ratings,
                                                 userCount: dataset.userCount, itemCount: dataset.itemCount)
            : try GraphTopology.userItem(users: t.users, items: t.items, ratings: t.ratings,
                                         userCount: dataset.userCount, itemCount: dataset.itemCount)
    }
}
