/// Everything a run needs, read from a YAML file under `configs/`. Each section owns its
/// defaults; `validate()` says which key is wrong and why. Keys are documented in README.md.
public struct TrainingConfig: Sendable, Equatable {
    /// Seeds every random choice of the run.
    public var seed: UInt64 = 2020
    public var task = TaskSettings()
    public var model = ModelSettings()
    public var data = DataSettings()
    public var training = OptimisationSettings()
    public var evaluation = EvaluationSettings()
    public var cluster = ClusterSettings()

    public init() {}
}

/// `task:` — what the model is trained for.
public struct TaskSettings: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        /// Rank items for users: BPR on (user, positive, negative) triples, ranking metrics.
        case linkPrediction = "link_prediction"
        /// Predict each training edge's rating: MSE, RMSE and MAE on held-out edges.
        case rating
        /// Predict each user's next item from the items before it (SASRec): sequences of the
        /// training links in time order, ranking metrics over the whole catalogue.
        case nextItem = "next_item"
    }
    public var kind: Kind = .linkPrediction
    /// The next-item loss: `softmax` (cross-entropy over every item, seed 003 and RecBole's
    /// CE), `sampled_softmax` (cross-entropy over the batch's targets and `training.negatives`
    /// uniformly drawn items, shared by the batch) or `bce` (one sampled negative per position,
    /// the SASRec paper's).
    public enum Loss: String, Sendable, CaseIterable {
        case softmax, bce
        case sampledSoftmax = "sampled_softmax"
    }
    public var loss: Loss = .softmax
    /// Which positions a next-item example predicts: `all` (a user's sequence cut into windows
    /// of max_length targets, every position predicting the next item: the SASRec paper's and
    /// the PyTorch peer's scheme) or `last` (every prefix of a sequence is an example that
    /// predicts the item after it from its last position: RecBole's and seed 003's).
    public enum Positions: String, Sendable, CaseIterable { case all, last }
    public var positions: Positions = .all
    public init() {}
}

/// `model:` — which recommender and its size.
public struct ModelSettings: Sendable, Equatable {
    public enum Aggregator: String, Sendable, CaseIterable { case mean, pool }
    /// The model, by the name of its entry in TrellisCluster's `ModelRegistry`, which checks
    /// it and the keys that model reads.
    public var kind = "lightgcn"
    public var embeddingSize = 64
    /// LightGCN propagation layers; GraphSAGE and GATv2 layers (and sampling hops).
    public var layers = 2
    /// GraphSAGE neighbour aggregator.
    public var aggregator: Aggregator = .mean
    /// GraphSAGE and GATv2 neighbours sampled per hop (hop 1 first) and per relation; -1 takes all.
    public var fanouts: [Int] = [10, 10]
    /// Per-relation overrides of `fanouts`, keyed by relation name (`item->user`, `user->item`).
    public var relationFanouts: [String: [Int]] = [:]
    /// Weight of the batch L2 term on the input embeddings.
    public var regWeight: Float = 1e-4
    /// Rating task: one pair of relations per rating level (`item->user:5`, `user->item:5`, as
    /// GC-MC's rating-typed edges) instead of one pair whose edges carry the rating.
    public var ratingRelations = false
    /// GATv2: how the rating head scores a (user, item) pair from their last-layer rows.
    public enum Head: String, Sendable, CaseIterable {
        /// Linear(2d, d) -> ReLU -> Linear(d, 1) on [h_u ; h_i] (seed 004's MLP head).
        case mlp
        /// h_u · h_i: a bilinear taste, which an MLP on the concatenation learns only slowly.
        case dot
    }
    public var head: Head = .mlp
    /// GATv2: the nonlinearity between message-passing layers (none after the last).
    public enum Activation: String, Sendable, CaseIterable { case relu, tanh, none }
    public var activation: Activation = .relu
    /// Sequence models (SASRec): the last `maxLength` items are read.
    public var maxLength = 50
    /// Transformer blocks, attention heads, feed-forward width (0: 4 x embedding_size).
    public var blocks = 2
    public var heads = 2
    public var innerSize = 0
    /// Dropout on embeddings, attention output and feed-forward layers.
    public var dropout: Float = 0.2
    /// Layer norm before each sub-layer (`pre`, with a final norm) or after (`post`).
    public enum Norm: String, Sendable, CaseIterable { case pre, post }
    public var norm: Norm = .pre
    /// Node type -> a trained matrix its embedding table starts from (seed 003's pretrained
    /// item vectors); rows the file does not name keep their seeded start.
    public var pretrained: [String: PretrainedSource] = [:]
    public init() {}
}

/// `model.pretrained.<type>`: a float matrix (`.npy`, or a tensor of a `.safetensors` file)
/// whose row k belongs to the raw id on line k of `ids`.
public struct PretrainedSource: Sendable, Equatable {
    public var path: String
    public var ids: String
    /// The tensor's name in a safetensors file (default `<type>.embedding`, as `trellis
    /// export` writes it); nil for `.npy`.
    public var tensor: String?
    public init(path: String, ids: String, tensor: String? = nil) {
        self.path = path
        self.ids = ids
        self.tensor = tensor
    }
}

/// `data:` — where interactions come from and how they are split.
public struct DataSettings: Sendable, Equatable {
    public enum SplitKind: String, Sendable, CaseIterable {
        case ratio
        case leaveOneOut = "leave_one_out"
        case files
        case time
        /// A block of rows in file order -> test, the rest -> train (MovieLens' u1…u5 folds).
        case rows
        /// Whole users by `ratios` (seed 003's): a held-out user's every item is predicted
        /// from the ones before it (`task.kind: next_item` only).
        case users
    }
    /// Name reported in results.
    public var name = "ml-100k"
    /// Interaction file (RecBole `.inter`, `u.data`, `ratings.dat`, `ratings.csv`).
    public var path = "data/ml-100k/ml-100k.inter"
    /// `recbole`, `movielens-udata`, `movielens-dat`, `movielens-csv`; nil infers from the file name.
    public var format: String?
    public var split: SplitKind = .ratio
    /// For `ratio`: train/valid/test shares per user; for `users`: shares of the users.
    public var ratios: [Double] = [0.8, 0.1, 0.1]
    /// For `files`: train, optional valid, and test files in the same format as `path`.
    public var trainFile: String?
    public var validFile: String?
    public var testFile: String?
    /// For `time`: interactions at or after `valid_from` go to valid, at or after `test_from` to test.
    public var validFrom: Double?
    public var testFrom: Double?
    /// For `rows`: test is rows `test_start..<test_start + test_rows` of `path` in file order
    /// (data rows, header not counted); u1 is `test_rows: 20000`, `test_start: 0`.
    public var testRows: Int?
    public var testStart = 0
    /// For `rows`: share of each user's train rows moved (seeded) to valid; 0 for no valid part.
    public var validRatio = 0.0
    /// `[lowest, highest]` rating; a rating outside it is a load error. Nil: the format's own
    /// scale (MovieLens 1-5, `ratings.csv` 0.5-5), none for RecBole `.inter` files.
    public var ratingScale: [Double]?
    /// `features.<node type>`: a frozen feature table for that type's nodes (see `FeatureSource`).
    public var features: [String: FeatureSource] = [:]
    public init() {}
}

/// `data.features.<node type>: {path, columns, dtype}` — columns of a RecBole atomic file
/// (`.user`, `.item`, keyed by `<node type>_id`) turned into one frozen row per node (see
/// `FeatureMatrix`), read by every model through the engine's input projection.
public struct FeatureSource: Sendable, Equatable {
    public var path: String
    public var columns: [String]
    /// Precision the values are rounded to when loaded, kept on the wire and in checkpoints.
    public var dtype: ClusterSettings.ValueEncoding = .float32
    public init(path: String, columns: [String], dtype: ClusterSettings.ValueEncoding = .float32) {
        self.path = path
        self.columns = columns
        self.dtype = dtype
    }
}

/// `training:` — optimisation.
public struct OptimisationSettings: Sendable, Equatable {
    /// `adam`/`adamw`: tables updated densely like PyTorch's Adam on `nn.Embedding`;
    /// `lazy_adam`: tables updated only on the batch's rows; `sgd`; `adagrad` (row-sparse).
    public enum Optimizer: String, Sendable, CaseIterable {
        case adam, adamw, sgd, adagrad
        case lazyAdam = "lazy_adam"
    }
    public var epochs = 300
    /// Positive interactions per step.
    public var batchSize = 2048
    /// Negatives sampled per positive (RecBole's `train_neg_sample_args.sample_num`); each
    /// makes one (user, positive, negative) triple.
    public var negatives = 1
    public var optimizer: Optimizer = .adam
    public var learningRate: Float = 1e-3
    /// L2 (adam, sgd) or decoupled (adamw) decay on dense parameters.
    public var weightDecay: Float = 0
    /// Clip all gradients to this global L2 norm; nil for no clipping.
    public var clipGradNorm: Float?
    /// How the learning rate moves over the run (see `LearningRateSchedule`).
    public enum Schedule: String, Sendable, CaseIterable { case constant, cosine, plateau }
    public var schedule: Schedule = .constant
    /// Plateau: the factor that cuts the rate, and the evaluations without improvement
    /// (on `evaluation.valid_metric`) tolerated before a cut; PyTorch's defaults are 0.1 and
    /// 10, seed 003 uses 0.5 and 1.
    public var plateauFactor: Float = 0.5
    public var plateauPatience = 1
    /// Global steps of linear warm-up from learning_rate / warmup_steps to learning_rate.
    public var warmupSteps = 0
    /// Global steps an epoch trains at most (0: every batch): the first ones of the epoch's
    /// order, a fresh order each epoch. Long epochs (seed 003's 8.9 M prefixes) are timed and
    /// evaluated in parts this way.
    public var stepsPerEpoch = 0
    /// Takes each user's training links (rated edges) in runs of up to this many when cutting
    /// an epoch into batches (0: every link on its own): a batch of B links then holds about
    /// B / k users whose samples share neighbourhoods (`EpochOrder`). Link and rating tasks.
    public var linksPerUser = 0
    /// Compute threads (OpenBLAS and our kernels).
    public var threads = 2
    public init() {}
}

/// `evaluation:` — full-ranking metrics and early stopping.
public struct EvaluationSettings: Sendable, Equatable {
    /// Cut-offs for every metric.
    public var topk: [Int] = [10, 20]
    /// The validation metric that picks the best epoch, e.g. `ndcg@10`; `rmse` or `mae` for
    /// the rating task (lower is better).
    public var validMetric = "ndcg@10"
    /// Stop after this many evaluations without improvement.
    public var stoppingStep = 10
    /// Evaluate every this many epochs.
    public var evalStep = 1
    /// Next-item task: leave the user's earlier items out of the ranking (RecBole's
    /// sequential protocol ranks them: false).
    public var maskHistory = false
    /// Next-item task: rank each held-out item against this many sampled items the user never
    /// interacted with (the SASRec paper's protocol, 100) instead of the whole catalogue; 0
    /// ranks every item. Coverage then counts positions among the candidates, not items.
    public var sampledNegatives = 0
    public init() {}
}

/// `cluster:` — how a run is partitioned and synchronised. The same keys drive `trellis train`
/// (all partitions in one process) and `trellis coordinator start` (partitions on workers), so
/// both compute the same steps.
public struct ClusterSettings: Sendable, Equatable {
    public enum Mode: String, Sendable, CaseIterable {
        /// Each step sums every partition's gradient in partition order, then applies once.
        case sync
        /// Each partition's gradient is applied on arrival, at most `staleness` steps apart.
        case async
    }
    public enum Partitioner: String, Sendable, CaseIterable { case greedy, hash, metis }
    public enum ValueEncoding: String, Sendable, CaseIterable { case float32, float16, bfloat16 }
    /// Graph partitions (and training-link shards); workers own one or more each. At most
    /// `maxPartitions`, and at most the users with training links (checked by the plan).
    public var partitions = 1
    /// Partition owners are stored as 16-bit numbers (`PartitionBook`).
    public static let maxPartitions = Int(UInt16.max)
    public var partitioner: Partitioner = .greedy
    public var mode: Mode = .sync
    /// Asynchronous mode: how many global steps the fastest partition may run ahead of the slowest.
    public var staleness = 2
    /// Asynchronous mode: how many global steps old a worker's copy of a whole trainable table
    /// (a full softmax's item table, a whole-graph model's tables) may be when it serves a
    /// pull instead of the wire; 0 (the default): every such pull fetches the table. Sync mode
    /// reuses a copy only within its global step, where it is never stale.
    public var tableStaleness = 0
    /// Write a checkpoint every this many global steps (0: at the end of every epoch only).
    public var checkpointEvery = 0
    /// Checkpoints kept on disk.
    public var checkpointsKept = 3
    /// Workers send a heartbeat this often.
    public var heartbeatMilliseconds = 250
    /// A worker silent this long is declared dead and its partitions orphaned.
    public var workerTimeoutMilliseconds = 3000
    /// A worker holding a task this long without pushing is declared hung (its heartbeat
    /// thread may still be alive) and its partitions orphaned.
    public var taskTimeoutMilliseconds = 60000
    /// How long orphaned partitions wait for a new worker before the survivors absorb them.
    public var takeoverMilliseconds = 5000
    /// Gradient and row payloads on the wire.
    public var valueEncoding: ValueEncoding = .float32
    public var shuffle = true
    public var compress = true
    /// Sample the next step's batch on a second thread while the current one computes.
    public var prefetch = true
    public init() {}
}
