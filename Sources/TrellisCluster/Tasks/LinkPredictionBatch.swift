import TrellisGraph
import TrellisModels

/// A link-prediction batch: (user, positive item, negative item) triples, with the distinct
/// users and items they touch (the seeds) and each triple's position among them.
public struct LinkPredictionBatch: UserItemBatch {
    public var links: LinkBatch
    /// Distinct users; `positions[k]` is triple k's user among `ids`.
    public var users: SeedRows
    /// Distinct items of the positives then the negatives; positions of the b positives, then
    /// of the b negatives.
    public var items: SeedRows

    /// The batch of `links`, its seeds drawn out.
    public init(_ links: LinkBatch = LinkBatch()) {
        self.links = links
        users = BPRLoss.distinct(links.users)
        items = BPRLoss.distinct(links.positives + links.negatives)
    }

    public var count: Int { links.count }
}
