/// The mean of each destination's incoming source rows as one op (GraphSAGE's and PyG
/// `SAGEConv`'s mean aggregation), instead of a gather to (E, d) and a segment sum back.
extension Variable {
    /// self: source rows (Ns, d) -> (Nt, d), row i the mean of the rows j with an edge j -> i
    /// (repeats counted); a destination with no edge gets zeros.
    ///
    /// Forward walks each destination's positions (parallel over destinations), backward adds
    /// g[i] / deg(i) into each source row over the source's positions (parallel over sources),
    /// so no two threads write one row and the sums do not depend on the thread count. Neither
    /// direction allocates per edge.
    public func neighbourMean(_ edges: EdgeIndex) -> Variable {
        let (n, width) = value.rowLayout
        precondition(n == edges.sourceCount, "neighbourMean: \(n) source rows for an edge index of \(edges.sourceCount)")
        let targets = edges.targetCount
        let inverse = (0..<targets).map { i in edges.inDegree(i) == 0 ? Float(0) : 1 / Float(edges.inDegree(i)) }
        var outShape = value.shape
        outShape[0] = targets
        let out = [Float](unsafeUninitializedCapacity: targets * width) { o, count in
            value.data.withUnsafeBufferPointer { x in
                edges.withPointers { p in
                    Parallel.forEachChunk(targets, minimumChunk: 256) { range in
                        for i in range {
                            let row = o.baseAddress! + i * width
                            row.initialize(repeating: 0, count: width)
                            for position in Int(p.targetOffsets[i])..<Int(p.targetOffsets[i + 1]) {
                                let source = x.baseAddress! + Int(p.sourceOf[position]) * width
                                for c in 0..<width { row[c] += source[c] }
                            }
                            let scale = inverse[i]
                            for c in 0..<width { row[c] *= scale }
                        }
                    }
                }
            }
            count = targets * width
        }
        let shape = value.shape
        return Variable(Tensor(shape: outShape, data: out), inputs: [self]) { [self] g in
            guard requiresGrad else { return }
            let grad = [Float](unsafeUninitializedCapacity: n * width) { d, count in
                g.data.withUnsafeBufferPointer { gy in
                    edges.withPointers { p in
                        Parallel.forEachChunk(n, minimumChunk: 256) { range in
                            for j in range {
                                let row = d.baseAddress! + j * width
                                row.initialize(repeating: 0, count: width)
                                for k in Int(p.sourceOffsets[j])..<Int(p.sourceOffsets[j + 1]) {
                                    let i = Int(p.targetOf[Int(p.positionsBySource[k])])
                                    let upstream = gy.baseAddress! + i * width, scale = inverse[i]
                                    for c in 0..<width { row[c] += upstream[c] * scale }
                                }
                            }
                        }
                    }
                }
                count = n * width
            }
            accumulate(Tensor(shape: shape, data: grad))
        }
    }
}
