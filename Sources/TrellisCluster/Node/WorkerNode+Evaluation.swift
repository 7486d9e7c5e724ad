import TrellisCore
import TrellisGraph
import TrellisTraining

/// Evaluation tasks: a layer of a partition's nodes, or the scoring of its users, against the
/// coordinator's activation store (see `PartitionEvaluation`).
extension WorkerNode {
    func computeLayer(_ t: EvaluationTask) throws {
        try evaluating(t) { evaluation, store in
            try evaluation.layer(t.layer, partition: t.partition, store: store)
            return .layerDone(session: session, round: t.round, partition: t.partition)
        }
    }

    func score(_ t: EvaluationTask) throws {
        try evaluating(t) { evaluation, store in
            guard let share = shares[t.partition], let stepper, let model = evaluationModel else {
                throw WorkerError.rejoin("a score task for partition \(t.partition), which is not assigned here")
            }
            let sums = try evaluation.sums(t.part, share: share, task: stepper.task, store: store, model: model)
            return .evaluationSums(session: session, round: t.round, partition: t.partition, sums: sums)
        }
    }

    /// Runs `work` with the task's dense weights in place and hands the role its report; a
    /// failure (a sampling request refused) makes the worker start over.
    private func evaluating(_ t: EvaluationTask, _ work: (PartitionEvaluation, ActivationStore) throws -> Message) throws {
        guard let model = evaluationModel, let source = evaluationSource, let w = welcome else {
            throw WorkerError.rejoin("an evaluation task before any assignment")
        }
        for (p, value) in zip(model.parameters.dense, t.dense) { p.value = value }
        let book = PartitionBook(partitionCount: w.exampleCounts.count, owners: w.owners)
        let evaluation = PartitionEvaluation(model: model, relations: w.schema.relations, source: source, book: book)
        let report: Message
        do {
            report = try work(evaluation, CoordinatorActivations(worker: self, round: t.round, nodeCounts: w.nodeCounts))
        } catch let error as WorkerError {
            throw error
        } catch {
            throw WorkerError.rejoin("evaluation of partition \(t.partition) failed: \(error)")
        }
        try carryOut(role.handle(.evaluated(report: report), now: ResourceUsage.now()))
    }
}
