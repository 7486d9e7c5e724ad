import TrellisTraining

/// What a process knows when it builds its task: the training links of the partitions it
/// draws batches for (none where it only evaluates) and facts about the whole training set.
public struct TaskInputs {
    /// Partition -> its users and their items (link k is users[k] -> items[k]).
    public var links: [Int: (users: [Int32], items: [Int32])] = [:]
    /// Partition -> the ratings of its links, in the same order; absent where the process
    /// was not sent them (a cluster worker, for now).
    public var ratings: [Int: [Float]] = [:]
    /// Every partition's example count (`TaskEntry.examples` of its links).
    public var exampleCounts: [Int] = []
    public var stepsPerEpoch = 1
    public var itemCount = 0
    /// User u's sorted training items, for drawing negatives.
    public var knownItems: (Int32) -> ArraySlice<Int32> = { _ in [] }
    /// Mean training rating: the rating task predicts it plus the model's score.
    public var ratingMean: Float = 0
    /// Predictions are clipped to this scale before RMSE and MAE (nil: not clipped).
    public var ratingScale: ClosedRange<Float>?

    public init() {}
}
