import TrellisCore
import TrellisGraph
import TrellisTraining

/// One partition's training sequences cut into windows. A user's items s[0..<n] predict
/// s[1..<n]; with `positions` all (the PyTorch SASRec peer's scheme) they are cut from the end
/// into non-overlapping runs of at most L targets, each window's inputs the items just before
/// its targets:
///
///     targets s[a ..< e], inputs s[a-1 ..< e-1]     e = n, then e = a, ... while e > 1; a = max(1, e − L)
///
/// with `positions` last (RecBole's and seed 003's), every j in 1..<n is a window whose one
/// target is s[j], read from the last of its inputs s[max(0, j − L) ..< j].
///
/// A window is two numbers (its first item in `sequences.items` and its item count), so an
/// epoch never materialises sequences; batches follow `EpochOrder` over the windows, so a
/// batch depends only on (seed, partition, epoch, step). One sampler belongs to one thread.
final class SequenceWindows {
    let sequences: UserSequences
    let maxLength: Int
    let positions: TaskSettings.Positions
    /// Window k covers sequences.items[starts[k] ..< starts[k] + lengths[k]] (inputs and targets).
    let starts: [Int]
    let lengths: [Int32]
    private let epochOrder: EpochOrder

    init(partition: Int, users: [Int32], items: [Int32], maxLength: Int, positions: TaskSettings.Positions,
         stepsPerEpoch: Int, seed: UInt64) {
        sequences = UserSequences(users: users, items: items)
        self.maxLength = maxLength
        self.positions = positions
        var starts: [Int] = [], lengths: [Int32] = []
        for k in sequences.users.indices {
            let base = sequences.starts[k], n = sequences.starts[k + 1] - base
            switch positions {
            case .all:
                var e = n
                while e > 1 {
                    let a = max(1, e - maxLength)
                    starts.append(base + a - 1)
                    lengths.append(Int32(e - a + 1))
                    e = a
                }
            case .last:
                for j in 1..<max(1, n) {
                    let a = max(0, j - maxLength)
                    starts.append(base + a)
                    lengths.append(Int32(j - a + 1))
                }
            }
        }
        self.starts = starts
        self.lengths = lengths
        epochOrder = EpochOrder(count: starts.count, partition: partition, stepsPerEpoch: stepsPerEpoch, seed: seed)
    }

    /// Windows of a partition whose links have these users: Σ ceil((n_u − 1) / L) for all
    /// positions, Σ (n_u − 1) for the last.
    static func count(users: [Int32], maxLength: Int, positions: TaskSettings.Positions) -> Int {
        var perUser: [Int32: Int] = [:]
        for u in users { perUser[u, default: 0] += 1 }
        return perUser.values.reduce(0) { total, n in
            guard n > 1 else { return total }
            return total + (positions == .all ? (n - 2) / maxLength + 1 : n - 1)
        }
    }

    var count: Int { starts.count }

    /// The windows of (epoch, step), each left-padded to `maxLength`: (B·L) inputs and targets
    /// as item ids, -1 where padded.
    func batch(epoch: Int, step: Int) -> (inputs: [Int32], targets: [Int32]) {
        let windows = epochOrder.step(step, epoch: epoch), L = maxLength
        var inputs = [Int32](repeating: -1, count: windows.count * L), targets = inputs
        for (b, w) in windows.enumerated() {
            let start = starts[Int(w)], n = Int(lengths[Int(w)]) - 1   // n inputs, then the last target
            let pad = b * L + L - n
            for j in 0..<n { inputs[pad + j] = sequences.items[start + j] }
            switch positions {
            case .all: for j in 0..<n { targets[pad + j] = sequences.items[start + j + 1] }
            case .last: targets[b * L + L - 1] = sequences.items[start + n]
            }
        }
        return (inputs, targets)
    }
}
