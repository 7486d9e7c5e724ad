/// A step's loss came out NaN or infinite: the weights have blown up and every later step
/// would train on garbage, so the run stops here and says where.
public struct DivergenceError: Error, CustomStringConvertible, Equatable {
    /// The epoch (from 1) and step within it (from 1) whose loss was not finite.
    public let epoch: Int
    public let step: Int
    public let loss: Float

    public init(epoch: Int, step: Int, loss: Float) {
        self.epoch = epoch
        self.step = step
        self.loss = loss
    }

    /// Throws when `loss` is NaN or infinite.
    public static func check(_ loss: Float, epoch: Int, step: Int) throws {
        guard loss.isFinite else { throw DivergenceError(epoch: epoch, step: step, loss: loss) }
    }

    public var description: String {
        "training diverged at epoch \(epoch), step \(step): loss \(loss) (lower training.learning_rate?)"
    }
}
