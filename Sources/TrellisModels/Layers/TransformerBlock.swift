import TrellisCore
import TrellisTensor

/// One Transformer encoder block over a batch of left-padded sequences, as PyTorch's
/// `nn.TransformerEncoderLayer(batch_first=True, activation=gelu)` with a causal mask and a key
/// padding mask (SASRec's block). x is (B·L, d), row b·L + i holding position i of sequence b,
/// or packed (R, d), padded positions left out (see `Packing`):
///
///     pre-norm:   x = x + Drop(Attn(LN1(x)));   x = x + Drop(FFN(LN2(x)))      (the PyTorch peer)
///     post-norm:  x = LN1(x + Drop(Attn(x)));   x = LN2(x + Drop(FFN(x)))      (PyTorch's default, seed 003)
///     Attn(x) = W_o · causalSelfAttention(W_q x, W_k x, W_v x)    heads of d / heads channels
///     FFN(x)  = W_2 · Drop(GELU(W_1 x + b_1)) + b_2               (d -> hidden -> d)
///
/// Parameters: `<name>.self_attn.{q,k,v,out}_proj.{weight,bias}`, `<name>.linear1.*`,
/// `<name>.linear2.*`, `<name>.norm1.{weight,bias}`, `<name>.norm2.*`.
public struct TransformerBlock {
    public enum Norm: Sendable { case pre, post }

    public let heads: Int
    public let norm: Norm
    public let dropout: Float
    let query, key, value, out: Linear
    let linear1, linear2: Linear
    let norm1, norm2: (gamma: Variable, beta: Variable)

    public init(width d: Int, heads: Int, hidden: Int, dropout: Float, norm: Norm,
                parameters: ParameterStore, name: String, rng: inout SeededGenerator) {
        precondition(d % heads == 0, "TransformerBlock: width \(d) does not divide into \(heads) heads")
        self.heads = heads
        self.norm = norm
        self.dropout = dropout
        query = Linear(d, d, parameters: parameters, name: "\(name).self_attn.q_proj", rng: &rng)
        key = Linear(d, d, parameters: parameters, name: "\(name).self_attn.k_proj", rng: &rng)
        value = Linear(d, d, parameters: parameters, name: "\(name).self_attn.v_proj", rng: &rng)
        out = Linear(d, d, parameters: parameters, name: "\(name).self_attn.out_proj", rng: &rng)
        linear1 = Linear(d, hidden, parameters: parameters, name: "\(name).linear1", rng: &rng)
        linear2 = Linear(hidden, d, parameters: parameters, name: "\(name).linear2", rng: &rng)
        func layerNorm(_ n: String) -> (Variable, Variable) {
            (parameters.addDense("\(name).\(n).weight", Tensor(shape: [d], repeating: 1)), parameters.addDense("\(name).\(n).bias", .zeros([d])))
        }
        norm1 = layerNorm("norm1")
        norm2 = layerNorm("norm2")
    }

    /// Where the rows of a packed batch sit: `rows[r]` is the position b·L + i that packed row r
    /// holds (ascending, each sequence's last position among them), so row-wise layers skip
    /// padding; attention scatters its inputs back to (B·L, ·) and gathers its output.
    public struct Packing {
        public let rows: [Int32]
        public let sequences: Int
        public let length: Int
        /// The packed row of each sequence's last position (B).
        public let last: [Int32]

        public init(rows: [Int32], sequences: Int, length: Int) {
            self.rows = rows
            self.sequences = sequences
            self.length = length
            var last = [Int32](repeating: -1, count: sequences)
            for (r, position) in rows.enumerated() where Int(position) % length == length - 1 { last[Int(position) / length] = Int32(r) }
            precondition(!last.contains(-1), "Packing: every sequence's last position must be a row")
            self.last = last
        }

        /// Every position of every sequence (nothing skipped).
        public static func dense(sequences: Int, length: Int) -> Packing {
            Packing(rows: (0..<Int32(sequences * length)).map { $0 }, sequences: sequences, length: length)
        }
    }

    /// x (R, d) -> (R, d), or (B, d) with `lastOnly`: only each sequence's last position is
    /// computed (every position still serves as a key and value), all a final block owes a
    /// prediction from the last position. `packing` says which position each row of x holds;
    /// `padding[b·L + j]` marks padded positions (never attended to); dropout draws from `rng`
    /// only when `training`; `weights` receives each head's attention ((B, H, L, L), or
    /// (B, H, 1, L) with `lastOnly`).
    public func callAsFunction(_ x: Variable, packing: Packing, padding: [Bool]?, training: Bool,
                               rng: inout SeededGenerator, lastOnly: Bool = false, weights: ((Tensor) -> Void)? = nil) -> Variable {
        let (B, L) = (packing.sequences, packing.length), all = B * L
        let dense = packing.rows.count == all
        func queries(_ h: Variable) -> Variable { lastOnly ? h.gather(rows: packing.last) : h }
        func unpacked(_ h: Variable) -> Variable { dense ? h : h.scatterAdd(rows: packing.rows, rowCount: all) }   // (B·L, ·)
        func attention(_ h: Variable) -> Variable {
            let q = query(queries(h))
            let o = Variable.causalSelfAttention(query: lastOnly ? q : unpacked(q), key: unpacked(key(h)), value: unpacked(value(h)),
                                                 sequences: B, length: L, heads: heads, padding: padding, weights: weights)
            return out(lastOnly || dense ? o : o.gather(rows: packing.rows))
        }
        func feedForward(_ h: Variable, _ rng: inout SeededGenerator) -> Variable {
            linear2(linear1(h).geluDropout(rate: dropout, training: training, using: &rng))
        }
        func ln(_ h: Variable, _ n: (gamma: Variable, beta: Variable)) -> Variable { h.layerNorm(gamma: n.gamma, beta: n.beta) }
        switch norm {
        case .pre:
            let h = queries(x) + attention(ln(x, norm1)).dropout(rate: dropout, training: training, using: &rng)
            return h + feedForward(ln(h, norm2), &rng).dropout(rate: dropout, training: training, using: &rng)
        case .post:
            let h = ln(queries(x) + attention(x).dropout(rate: dropout, training: training, using: &rng), norm1)
            return ln(h + feedForward(h, &rng).dropout(rate: dropout, training: training, using: &rng), norm2)
        }
    }

    /// x (B·L, d) over every position (nothing packed): as `callAsFunction(_:packing:…)` with
    /// `Packing.dense`.
    public func callAsFunction(_ x: Variable, sequences: Int, length: Int, padding: [Bool]?, training: Bool,
                               rng: inout SeededGenerator, lastOnly: Bool = false, weights: ((Tensor) -> Void)? = nil) -> Variable {
        callAsFunction(x, packing: .dense(sequences: sequences, length: length), padding: padding, training: training,
                       rng: &rng, lastOnly: lastOnly, weights: weights)
    }
}
