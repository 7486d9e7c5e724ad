import Foundation

/// Fused pairwise-ranking ops: scores, loss and gradients straight from embedding rows, with
/// no (B, d) gathered copies. For B triples of width d the forward reads 3·B rows and the
/// backward writes 3·B rows into the inputs' gradients.
extension Variable {
    /// Mean BPR loss over triples t: softplus(<U[u_t], I[n_t]> - <U[u_t], I[p_t]>), i.e.
    /// -log sigmoid(s(u, p) - s(u, n)). `users` (Nu, d) and `items` (Ni, d) may be the same
    /// variable (e.g. LightGCN's joint node table with item rows offset).
    public static func bprLoss(users: Variable, items: Variable, userRows: [Int32], positiveRows: [Int32],
                               negativeRows: [Int32]) -> Variable {
        let b = userRows.count
        precondition(positiveRows.count == b && negativeRows.count == b, "bprLoss: triple arrays differ in length")
        let (nu, d) = users.value.rowLayout, (ni, di) = items.value.rowLayout
        precondition(d == di, "bprLoss: user width \(d) and item width \(di) differ")
        var margins = [Float](repeating: 0, count: b)   // s(u, n) - s(u, p)
        var total = 0.0
        users.value.data.withUnsafeBufferPointer { uv in
            items.value.data.withUnsafeBufferPointer { iv in
                for t in 0..<b {
                    let u = Int(userRows[t]), p = Int(positiveRows[t]), n = Int(negativeRows[t])
                    precondition(u >= 0 && u < nu && p >= 0 && p < ni && n >= 0 && n < ni,
                                 "bprLoss: triple (\(u), \(p), \(n)) out of range (\(nu) users, \(ni) items)")
                    var margin: Float = 0
                    for j in 0..<d { margin += uv[u * d + j] * (iv[n * d + j] - iv[p * d + j]) }
                    margins[t] = margin
                    total += Double(margin > 0 ? margin + Foundation.log1p(Foundation.exp(-margin))
                                               : Foundation.log1p(Foundation.exp(margin)))
                }
            }
        }
        let mean = Float(total / Double(Swift.max(1, b)))
        return Variable(Tensor(scalar: mean), inputs: [users, items]) { g in
            // dL/dmargin_t = sigmoid(margin_t) * g / B
            let scale = g.data[0] / Float(Swift.max(1, b))
            var dUsers = [Float](repeating: 0, count: users.value.count)
            var dItems = [Float](repeating: 0, count: items.value.count)
            users.value.data.withUnsafeBufferPointer { uv in
                items.value.data.withUnsafeBufferPointer { iv in
                    for t in 0..<b {
                        let u = Int(userRows[t]) * d, p = Int(positiveRows[t]) * d, n = Int(negativeRows[t]) * d
                        let s = Variable.stableSigmoid(margins[t]) * scale
                        for j in 0..<d {
                            dUsers[u + j] += s * (iv[n + j] - iv[p + j])
                            dItems[n + j] += s * uv[u + j]
                            dItems[p + j] -= s * uv[u + j]
                        }
                    }
                }
            }
            users.accumulate(Tensor(shape: users.shape, data: dUsers))
            items.accumulate(Tensor(shape: items.shape, data: dItems))
        }
    }

    /// Sum over k of ||self[rows[k]]||², rows may repeat: an L2 term on the rows a batch used.
    public func squaredNormSum(rows: [Int32]) -> Variable {
        let (n, d) = value.rowLayout
        var total = 0.0
        value.data.withUnsafeBufferPointer { x in
            for r in rows {
                let row = Int(r)
                precondition(row >= 0 && row < n, "squaredNormSum: row \(row) out of 0..<\(n)")
                var s: Float = 0
                for j in 0..<d { s += x[row * d + j] * x[row * d + j] }
                total += Double(s)
            }
        }
        return Variable(Tensor(scalar: Float(total)), inputs: [self]) { [self] g in
            let twice = 2 * g.data[0]
            var gx = [Float](repeating: 0, count: value.count)
            value.data.withUnsafeBufferPointer { x in
                for r in rows {
                    let base = Int(r) * d
                    for j in 0..<d { gx[base + j] += twice * x[base + j] }
                }
            }
            accumulate(Tensor(shape: value.shape, data: gx))
        }
    }
}
