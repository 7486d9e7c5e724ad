import TrellisCore
import TrellisGraph
import TrellisTensor

/// A model that reads a user as the sequence of items before the prediction, not as a node:
/// the next-item task hands it left-padded windows of item rows and scores its states against
/// the item rows. It has no message-passing layers; the engine pulls the item rows a batch
/// needs (every row for a full softmax) as layer-0 rows of the item type.
public protocol SequenceRecommender: SampledRecommender {
    /// Positions a sequence holds (the most recent `maxLength` items are read).
    var maxLength: Int { get }
    /// States of `positions`: `items` (R, d) are the rows the sequences index, `sequences`
    /// (B·L, L = maxLength) holds row indices into `items` or -1 for left padding. Dropout
    /// draws from `rng` only when `training`; `attention`, if given, receives block k's
    /// attention as (B, H, L, L) ((B, H, 1, L) for `.last`).
    func encode(items: Variable, sequences: [Int32], training: Bool, positions: SequencePositions, rng: inout SeededGenerator,
                attention: ((_ block: Int, _ weights: Tensor) -> Void)?) -> Variable
}

/// Which states `SequenceRecommender.encode` returns.
public enum SequencePositions: Sendable, Equatable {
    /// (B·L, d): row b·L + i is position i of sequence b; a padded position's state is zero
    /// and must not be scored.
    case every
    /// (B, d): each sequence's last position, computed as such (the final block's other
    /// positions are skipped).
    case last
    /// (T, d): the positions b·L + i listed, in order, none of them padding: what a loss
    /// scores, with no (B·L, d) buffer of zeros between the encoder and it.
    case rows([Int32])
}

/// SASRec (Kang & McAuley 2018; seed 003's notebook): item embeddings plus learned position
/// embeddings, causal Transformer blocks, a final layer norm; an item is scored by the dot
/// product of a position's state with its embedding (the item table is the output layer too).
///
///     x = Drop(E[seq] + P)                     (R, d)    E: the engine's item rows, P (L, d)
///     x = Block_k(x) for k in 0..<blocks       causal, key-padding masked (`TransformerBlock`)
///     h = LN(x)                                (R, d), returned as (B·L, d) with padding 0
///     score(b, i, item) = h[b·L + i] · E[item]
///
/// Padded positions are never attended to and never scored, so they are not computed: the
/// blocks run on the (R, d) rows of real positions (plus each sequence's last), R <= B·L. Dense weights: `position.weight`, `blocks.<k>.*`,
/// `norm.{weight,bias}`.
public final class SASRec: SequenceRecommender {
    public let name = "sasrec"
    public let parameters = ParameterStore()
    public let layerCount = 0
    public let maxLength: Int
    public let dropout: Float
    /// (L, d), Xavier-uniform (seed 003).
    let positions: Variable
    let blocks: [TransformerBlock]
    let norm: (gamma: Variable, beta: Variable)

    /// `inner` is the feed-forward width of each block.
    public init(dimension d: Int, maxLength: Int, blocks: Int, heads: Int, inner: Int, dropout: Float,
                norm: TransformerBlock.Norm, seed: UInt64) {
        precondition(d % heads == 0, "SASRec: width \(d) does not divide into \(heads) heads")
        self.maxLength = maxLength
        self.dropout = dropout
        var rng = SeededGenerator(seed: seed, stream: [0x7361_7372])  // "sasr"
        positions = parameters.addDense("position.weight", .xavierUniform([maxLength, d], using: &rng))
        let store = parameters
        self.blocks = (0..<blocks).map {
            TransformerBlock(width: d, heads: heads, hidden: inner, dropout: dropout, norm: norm,
                             parameters: store, name: "blocks.\($0)", rng: &rng)
        }
        self.norm = (parameters.addDense("norm.weight", Tensor(shape: [d], repeating: 1)), parameters.addDense("norm.bias", .zeros([d])))
    }

    /// The seeds' layer-0 rows are the outputs: the task encodes sequences over them.
    public func forward(_ subgraph: SampledSubgraph, inputs: [Variable]) -> [Variable] { inputs }

    public func encode(items: Variable, sequences: [Int32], training: Bool, positions returned: SequencePositions = .every, rng: inout SeededGenerator,
                       attention: ((Int, Tensor) -> Void)? = nil) -> Variable {
        let L = maxLength, rows = sequences.count, count = rows / L, lastOnly = returned == .last
        precondition(rows % L == 0, "SASRec: \(rows) positions are not whole sequences of \(L)")
        let padding = sequences.map { $0 < 0 }
        // The blocks run on the kept positions only, packed (R, d): every item, and each
        // sequence's last position (padding or not, so every sequence has a state to return).
        // Padding is never attended to, so no kept state depends on a padded one.
        let kept = (0..<rows).filter { !padding[$0] || $0 % L == L - 1 }.map { Int32($0) }
        let e = items.gather(rows: kept.map { Swift.max(sequences[Int($0)], 0) })        // (R, d)
        let p = positions.gather(rows: kept.map { $0 % Int32(L) })                       // (R, d)
        var x = (e + p).dropout(rate: dropout, training: training, using: &rng)
        let packing = TransformerBlock.Packing(rows: kept, sequences: count, length: L)
        for (k, block) in blocks.enumerated() {
            x = block(x, packing: packing, padding: padding, training: training, rng: &rng,
                      lastOnly: lastOnly && k == blocks.count - 1, weights: attention.map { report in { report(k, $0) } })
        }
        if lastOnly && blocks.isEmpty { x = x.gather(rows: packing.last) }
        let h = x.layerNorm(gamma: norm.gamma, beta: norm.beta)                          // (R, d) or (B, d)
        switch returned {
        case .last: return h
        case .every: return h.scatterAdd(rows: kept, rowCount: rows)                    // (B·L, d), padding 0
        case .rows(let wanted):
            var place = [Int32](repeating: -1, count: rows)                               // position -> its row of h
            for (k, r) in kept.enumerated() where !padding[Int(r)] { place[Int(r)] = Int32(k) }
            return h.gather(rows: wanted.map { r in                                        // (T, d)
                precondition(r >= 0 && Int(r) < rows && place[Int(r)] >= 0, "SASRec: position \(r) is padding or outside 0..<\(rows)")
                return place[Int(r)]
            })
        }
    }
}
