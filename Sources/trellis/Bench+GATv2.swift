import Foundation
import TrellisCluster
import TrellisCore
import TrellisGraph
import TrellisModels
import TrellisTensor
import TrellisTraining

/// `trellis bench --config configs/ml100k-gatv2.yaml`: the workload of the PyG reference
/// quoted in issue 9 — HeteroConv(GATv2Conv), d = 64, 2 heads, 2 hops, full batch over all of
/// u1.base (no valid rows held out; every edge passes messages, every training rating is in
/// the MSE), Adam — one forward, backward and update per epoch, with the config's rating
/// encoding (rating-typed relations or the rating as edge feature).
struct GATv2Bench {
    /// PyG 2.8 on this machine kind, 2 threads (quoted from the issue; no PyTorch here).
    static let pygSeconds = 1.66, pygMB = 1570.0

    let plan: TrainingPlan
    let dataset: PreparedDataset

    /// Seconds of each of `epochs` full-batch epochs.
    func epochSeconds(epochs: Int) -> [Double] {
        ComputeThreads.configure(plan.config)  // as every training process: freed buffers kept, BLAS on one thread
        let model = plan.makeModel(), input = plan.makeInputLayer()
        let stored = plan.initialParameters().tables
        let tables = stored.map { Variable($0.weights, requiresGrad: $0.kind == .trainable, name: $0.name) }
        let weights = model.parameters.dense + input.parameters.dense + zip(stored, tables).filter { $0.0.kind == .trainable }.map(\.1)
        let adam = Adam(learningRate: plan.config.training.learningRate)
        let full = SubgraphSampler.full(plan.graph, layers: model.layerCount)
        let train = dataset.split.train
        let targets = Variable(Tensor(shape: [train.count], data: train.ratings.map { $0 - plan.ratingMean }))  // (E)
        return (0..<epochs).map { _ in
            let start = ResourceUsage.now()
            for w in weights { w.zeroGrad() }
            let out = model.forward(full, inputs: input(tables))                           // (N_t, d) per type
            let predicted = model.score(users: out[GraphTopology.user].gather(rows: train.users),
                                        items: out[GraphTopology.item].gather(rows: train.items))  // (E)
            let loss = (predicted - targets).square().mean()
            loss.backward()
            adam.step(weights)
            return ResourceUsage.now() - start
        }
    }

    /// Times `epochs` epochs and prints the median and the peak memory against PyG's.
    func run(epochs: Int) -> [String: Any] {
        let times = epochSeconds(epochs: epochs)
        let med = median(times), peakMB = Double(ResourceUsage.peakResidentBytes()) / 1e6
        let c = plan.config
        let rating = c.model.ratingRelations ? "\(plan.graph.relations.count) rating-typed relations" : "the rating as edge feature"
        print(String(format: "\ngatv2 full batch on %@ (d=%d, 2 heads, %d hops, %d training ratings, %@): "
                     + "%.3f s per epoch (median of %d: %@)", dataset.name as NSString, c.model.embeddingSize, c.model.layers,
                     dataset.split.train.count, rating as NSString, med, epochs,
                     times.map { String(format: "%.3f", $0) }.joined(separator: " ") as NSString))
        print(String(format: "peak resident memory of this process (data, model, benchmarks): %.1f MB", peakMB))
        print(String(format: "reference, PyG 2.8 HeteroConv(GATv2Conv), same shape, full batch (2 threads, quoted): %.2f s/epoch, "
                     + "%.0f MB peak -> speed-up %.2fx (target 3x), memory %.2fx less (target 4x)",
                     Self.pygSeconds, Self.pygMB, Self.pygSeconds / med, Self.pygMB / peakMB))
        return ["model": "gatv2", "dataset": dataset.name, "median_seconds": med, "seconds": times,
                "peak_memory_bytes": ResourceUsage.peakResidentBytes(), "pyg_seconds": Self.pygSeconds, "pyg_mb": Self.pygMB]
    }
}
