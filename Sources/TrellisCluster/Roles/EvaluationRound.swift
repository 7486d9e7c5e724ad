import TrellisTensor
import TrellisTraining

/// One evaluation on the workers, as the coordinator keeps it: every partition does each step
/// (layer 0..<L, then scoring at L) before any does the next; the partitions' sums are kept
/// until all are in. A task handed to a worker that is lost is handed out again.
struct EvaluationRound {
    /// What the metrics are for when they are in.
    enum Purpose: Equatable {
        /// The validation of the epoch that ended, which trained for `seconds`.
        case epochEnd(seconds: Double)
        /// The test of the best weights, after the last epoch.
        case finalTest
    }

    let id: UInt64
    let part: EvaluationPart
    let purpose: Purpose
    /// Layer 0 (the evaluated weights' tables) and the layers written so far.
    let store: LocalActivations
    /// The evaluated dense weights, sent with every task.
    let dense: [Tensor]
    /// The layer of the final outputs (scoring reads it).
    let finalLayer: Int
    let started: Double
    /// The layer being computed; `finalLayer` once scoring.
    var step: Int
    /// Partitions whose current step is not reported yet.
    var pending: Set<Int>
    /// Session computing each handed-out pending partition.
    var holders: [Int: UInt64] = [:]
    /// Each partition's sums, once scored.
    var sums: [EvaluationSums?]

    init(id: UInt64, part: EvaluationPart, purpose: Purpose, store: LocalActivations, dense: [Tensor], finalLayer: Int,
         firstStep: Int, partitions: Int, now: Double) {
        self.id = id
        self.part = part
        self.purpose = purpose
        self.store = store
        self.dense = dense
        self.finalLayer = finalLayer
        started = now
        step = firstStep
        pending = Set(0..<partitions)
        sums = Array(repeating: nil, count: partitions)
    }

    var scoring: Bool { step == finalLayer }

    /// The task of `partition` at the current step for `session`.
    func task(partition: Int, session: UInt64) -> Message {
        let t = EvaluationTask(session: session, round: id, part: part, layer: step, partition: partition, dense: dense)
        return scoring ? .scoreTask(t) : .layerTask(t)
    }

    /// Whether `session` computes a partition at the current step (and which).
    func partition(heldBy session: UInt64) -> Int? {
        holders.first { $0.value == session }?.key
    }

    /// Marks `partition`'s step done; moves to the next step once every partition's is.
    /// Returns true when the round is complete (every partition scored).
    mutating func done(partition: Int) -> Bool {
        pending.remove(partition)
        holders[partition] = nil
        guard pending.isEmpty else { return false }
        guard !scoring else { return true }
        step += 1
        pending = Set(sums.indices)
        return false
    }
}
