/// Graph attention over one relation's edges j -> i, each a single fused op: edge scores,
/// a softmax over each destination's incoming edges, and the weighted sum of source rows,
/// forward and backward, without per-edge, per-channel tensors (`AttentionKernel`).
///
/// H heads of C channels: node tensors are (N, H, C). The op keeps alpha (E, H) for backward.
/// A destination with no incoming edge gets zeros.
extension Variable {
    /// GATv2 attention (Brody et al. 2022; PyG `GATv2Conv`) on transformed features:
    ///
    ///     e_ji[h] = sum_c attention[h, c] · LeakyReLU(source[j,h,c] + target[i,h,c] + edge[ji,h,c])
    ///     out[i, h, :] = sum_j softmax_j(e_ji[h]) · source[j, h, :]
    ///
    /// - source: x_l = W_l x_j (Ns, H, C), both scored and summed.
    /// - target: x_r = W_r x_i (Nt, H, C).
    /// - edge: W_e edge_attr (E, H, C) in input edge order, or nil.
    /// - attention: a (H, C).
    /// - Returns: (Nt, H, C).
    public static func gatv2Attention(source: Variable, target: Variable, edge: Variable? = nil, attention: Variable,
                                      edges: EdgeIndex, negativeSlope: Float = 0.2) -> Variable {
        precondition(attention.value.rank == 2, "gatv2Attention: attention \(attention.shape) is not (heads, channels)")
        let heads = attention.shape[0], channels = attention.shape[1], width = heads * channels
        checkNodes(source, edges.sourceCount, heads, channels, "source")
        checkNodes(target, edges.targetCount, heads, channels, "target")
        if let edge { checkNodes(edge, edges.edgeCount, heads, channels, "edge") }
        // Without edge features the scorer reads one zero row with stride 0.
        let edgeData = edge?.value.data ?? [Float](repeating: 0, count: width)
        let edgeStride = edge == nil ? 0 : width
        let arrays = [source.value.data, target.value.data, edgeData, attention.value.data]
        let (out, alpha) = AttentionKernel.withPointers(arrays[...]) { p in
            let scorer = GATv2Scorer(source: p[0], target: p[1], edge: p[2], attention: p[3], edgeStride: edgeStride,
                                     heads: heads, channels: channels, slope: negativeSlope)
            return AttentionKernel.forward(scorer, edges, heads: heads, channels: channels, values: p[0])
        }
        let inputs = [source, target, attention] + (edge.map { [$0] } ?? [])
        return Variable(Tensor(shape: [edges.targetCount, heads, channels], data: out), inputs: inputs) { g in
            var dAttention: [Float] = []
            let counts = [source.requiresGrad ? source.value.count : nil, target.requiresGrad ? target.value.count : nil,
                          edge?.requiresGrad == true ? edgeData.count : nil]
            let d = AttentionKernel.withOutputs(counts[...]) { d in
                dAttention = AttentionKernel.withPointers((arrays + [alpha, g.data])[...]) { p in
                    var scorer = GATv2Scorer(source: p[0], target: p[1], edge: p[2], attention: p[3], edgeStride: edgeStride,
                                             heads: heads, channels: channels, slope: negativeSlope)
                    (scorer.dSource, scorer.dTarget, scorer.dEdge) = (d[0], d[1], d[2])
                    return AttentionKernel.backward(scorer, edges, heads: heads, channels: channels, values: p[0], alpha: p[4],
                                                    gradient: p[5], valueGradient: d[0], needsSourcePass: d[0] != nil)
                }
            }
            for (input, grad) in zip([source, target] + (edge.map { [$0] } ?? []), d) {
                if let grad { input.accumulate(Tensor(shape: input.shape, data: grad)) }
            }
            attention.accumulate(Tensor(shape: attention.shape, data: dAttention))
        }
    }

    /// GAT attention (Veličković et al. 2018; PyG `GATConv`) from per-node scores:
    ///
    ///     e_ji[h] = LeakyReLU(sourceScores[j, h] + targetScores[i, h] + edgeScores[ji, h])
    ///     out[i, h, :] = sum_j softmax_j(e_ji[h]) · values[j, h, :]
    ///
    /// The scores are a_src · (W x_j), a_dst · (W x_i), a_edge · (W_e edge_attr), computed
    /// per node (cheap small ops) by the caller.
    /// - sourceScores: (Ns, H); targetScores: (Nt, H); edgeScores: (E, H) in input edge order, or nil.
    /// - values: (Ns, H, C).
    /// - Returns: (Nt, H, C).
    public static func gatAttention(sourceScores: Variable, targetScores: Variable, edgeScores: Variable? = nil,
                                    values: Variable, edges: EdgeIndex, negativeSlope: Float = 0.2) -> Variable {
        precondition(values.value.rank == 3, "gatAttention: values \(values.shape) is not (nodes, heads, channels)")
        let heads = values.shape[1], channels = values.shape[2]
        checkNodes(values, edges.sourceCount, heads, channels, "values")
        checkNodes(sourceScores, edges.sourceCount, heads, 1, "sourceScores")
        checkNodes(targetScores, edges.targetCount, heads, 1, "targetScores")
        if let edgeScores { checkNodes(edgeScores, edges.edgeCount, heads, 1, "edgeScores") }
        let edgeData = edgeScores?.value.data ?? [Float](repeating: 0, count: heads)
        let edgeStride = edgeScores == nil ? 0 : heads
        let arrays = [sourceScores.value.data, targetScores.value.data, edgeData, values.value.data]
        let (out, alpha) = AttentionKernel.withPointers(arrays[...]) { p in
            let scorer = GATScorer(source: p[0], target: p[1], edge: p[2], edgeStride: edgeStride, heads: heads, slope: negativeSlope)
            return AttentionKernel.forward(scorer, edges, heads: heads, channels: channels, values: p[3])
        }
        let inputs = [sourceScores, targetScores, values] + (edgeScores.map { [$0] } ?? [])
        return Variable(Tensor(shape: [edges.targetCount, heads, channels], data: out), inputs: inputs) { g in
            let counts = [sourceScores.requiresGrad ? sourceScores.value.count : nil,
                          targetScores.requiresGrad ? targetScores.value.count : nil,
                          edgeScores?.requiresGrad == true ? edgeData.count : nil, values.requiresGrad ? values.value.count : nil]
            let d = AttentionKernel.withOutputs(counts[...]) { d in
                _ = AttentionKernel.withPointers((arrays + [alpha, g.data])[...]) { p in
                    var scorer = GATScorer(source: p[0], target: p[1], edge: p[2], edgeStride: edgeStride, heads: heads, slope: negativeSlope)
                    (scorer.dSource, scorer.dTarget, scorer.dEdge) = (d[0], d[1], d[2])
                    return AttentionKernel.backward(scorer, edges, heads: heads, channels: channels, values: p[3], alpha: p[4],
                                                    gradient: p[5], valueGradient: d[3], needsSourcePass: d[0] != nil || d[3] != nil)
                }
            }
            // Without edge scores d[2] is nil, so its stand-in is never touched.
            for (input, grad) in zip([sourceScores, targetScores, edgeScores ?? values, values], d) {
                if let grad { input.accumulate(Tensor(shape: input.shape, data: grad)) }
            }
        }
    }

    /// Checks a node (or edge) tensor is (rows, heads, channels), or (rows, heads) when channels is 1.
    private static func checkNodes(_ x: Variable, _ rows: Int, _ heads: Int, _ channels: Int, _ what: String) {
        let ok = x.shape == [rows, heads, channels] || (channels == 1 && x.shape == [rows, heads])
        precondition(ok, "attention: \(what) \(x.shape) is not [\(rows), \(heads)\(channels == 1 ? "" : ", \(channels)")]")
    }
}

// MARK: - Scorers

/// GATv2: a · LeakyReLU(x_l[j] + x_r[i] + x_e[ji]) per head; recomputes the sum in backward.
struct GATv2Scorer: EdgeScorer {
    let source: UnsafePointer<Float>     // (Ns, H, C)
    let target: UnsafePointer<Float>     // (Nt, H, C)
    let edge: UnsafePointer<Float>       // (E, H, C), or one zero row with stride 0
    let attention: UnsafePointer<Float>  // (H, C)
    let edgeStride: Int
    let heads: Int, channels: Int, slope: Float
    var dSource: UnsafeMutablePointer<Float>? = nil
    var dTarget: UnsafeMutablePointer<Float>? = nil
    var dEdge: UnsafeMutablePointer<Float>? = nil

    var partialWidth: Int { heads * channels }

    @inline(__always)
    func score(edge e: Int, source j: Int, target i: Int, head h: Int) -> Float {
        let o = h * channels, w = heads * channels
        let xl = source + j * w + o, xr = target + i * w + o, xe = edge + e * edgeStride + o, a = attention + o
        var acc = SIMD8<Float>(repeating: 0)
        var c = 0
        while c + 8 <= channels {
            let z = load8(xl + c) + load8(xr + c) + load8(xe + c)
            acc += load8(a + c) * z.replacing(with: slope * z, where: z .<= 0)
            c += 8
        }
        var total = acc.sum()
        while c < channels {
            let z = xl[c] + xr[c] + xe[c]
            total += a[c] * (z > 0 ? z : slope * z)
            c += 1
        }
        return total
    }

    @inline(__always)
    func pullbackTarget(_ d: Float, edge e: Int, source j: Int, target i: Int, head h: Int, partial: UnsafeMutablePointer<Float>) {
        let o = h * channels, w = heads * channels
        let xl = source + j * w + o, xr = target + i * w + o, xe = edge + e * edgeStride + o, a = attention + o
        let dr = dTarget.map { $0 + i * w + o }, de = dEdge.map { $0 + e * edgeStride + o }
        for c in 0..<channels {
            let z = xl[c] + xr[c] + xe[c]
            let s: Float = z > 0 ? 1 : slope
            partial[o + c] += d * s * z
            let dz = d * a[c] * s
            if let dr { dr[c] += dz }
            if let de { de[c] += dz }
        }
    }

    @inline(__always)
    func pullbackSource(_ d: Float, edge e: Int, source j: Int, target i: Int, head h: Int) {
        guard let dSource else { return }
        let o = h * channels, w = heads * channels
        let dl = dSource + j * w + o
        if let dEdge {
            // Pass A left dz, the same for x_l, x_r and x_e, in the edge's gradient row.
            let dz = dEdge + e * edgeStride + o
            for c in 0..<channels { dl[c] += dz[c] }
            return
        }
        let xl = source + j * w + o, xr = target + i * w + o, xe = edge + e * edgeStride + o, a = attention + o
        for c in 0..<channels {
            let z = xl[c] + xr[c] + xe[c]
            dl[c] += d * a[c] * (z > 0 ? 1 : slope)
        }
    }

    @inline(__always)
    private func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> { UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self) }
}

/// GAT: LeakyReLU(s_src[j] + s_dst[i] + s_edge[ji]) per head, from per-node scores.
struct GATScorer: EdgeScorer {
    let source: UnsafePointer<Float>  // (Ns, H)
    let target: UnsafePointer<Float>  // (Nt, H)
    let edge: UnsafePointer<Float>    // (E, H), or one zero row with stride 0
    let edgeStride: Int
    let heads: Int, slope: Float
    var dSource: UnsafeMutablePointer<Float>? = nil
    var dTarget: UnsafeMutablePointer<Float>? = nil
    var dEdge: UnsafeMutablePointer<Float>? = nil

    var partialWidth: Int { 0 }

    @inline(__always)
    private func slopeAt(_ e: Int, _ j: Int, _ i: Int, _ h: Int) -> (z: Float, slope: Float) {
        let z = source[j * heads + h] + target[i * heads + h] + edge[e * edgeStride + h]
        return (z, z > 0 ? 1 : slope)
    }

    @inline(__always)
    func score(edge e: Int, source j: Int, target i: Int, head h: Int) -> Float {
        let (z, s) = slopeAt(e, j, i, h)
        return s * z
    }

    @inline(__always)
    func pullbackTarget(_ d: Float, edge e: Int, source j: Int, target i: Int, head h: Int, partial: UnsafeMutablePointer<Float>) {
        let dz = d * slopeAt(e, j, i, h).slope
        dTarget?[i * heads + h] += dz
        dEdge?[e * edgeStride + h] += dz
    }

    @inline(__always)
    func pullbackSource(_ d: Float, edge e: Int, source j: Int, target i: Int, head h: Int) {
        dSource?[j * heads + h] += d * slopeAt(e, j, i, h).slope
    }
}
