import TrellisTensor

/// The optimizer pair a config names: one for dense weights, one for embedding tables.
public enum OptimizerChoice {
    /// `adam`/`adamw`: tables updated densely like PyTorch's Adam on `nn.Embedding` (adamw
    /// decays them too, as PyTorch's AdamW does every parameter);
    /// `lazy_adam`: row-sparse Adam on tables (only the batch's rows move); `sgd`; `adagrad`.
    public static func make(_ t: OptimisationSettings) -> (DenseOptimizer, RowOptimizer) {
        switch t.optimizer {
        case .adam:
            return (Adam(learningRate: t.learningRate, weightDecay: t.weightDecay), LazyAdam(learningRate: t.learningRate, lazy: false))
        case .lazyAdam:
            return (Adam(learningRate: t.learningRate, weightDecay: t.weightDecay), LazyAdam(learningRate: t.learningRate, lazy: true))
        case .adamw:
            return (Adam.adamW(learningRate: t.learningRate, weightDecay: t.weightDecay),
                    LazyAdam(learningRate: t.learningRate, lazy: false, decay: t.weightDecay))
        case .sgd:
            return (SGD(learningRate: t.learningRate, weightDecay: t.weightDecay), RowSGD(learningRate: t.learningRate))
        case .adagrad:
            return (SGD(learningRate: t.learningRate, weightDecay: t.weightDecay), RowAdagrad(learningRate: t.learningRate))
        }
    }
}
