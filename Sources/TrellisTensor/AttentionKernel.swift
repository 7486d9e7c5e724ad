import Foundation

/// How an attention op scores edge j -> i for head h; `AttentionKernel` does the rest.
///
/// The scorer holds pointers to its inputs (and, in backward, to their gradient buffers); it
/// recomputes what it needs from them instead of keeping per-edge, per-channel tensors.
protocol EdgeScorer {
    /// Floats of shared-weight gradient each target block accumulates (0 when none).
    var partialWidth: Int { get }
    /// The logit before the softmax.
    func score(edge e: Int, source j: Int, target i: Int, head h: Int) -> Float
    /// Passes d = dL/dlogit to the target-side and per-edge inputs, and to `partial` (this
    /// block's share of shared weights). Called in parallel over blocks of targets.
    func pullbackTarget(_ d: Float, edge e: Int, source j: Int, target i: Int, head h: Int, partial: UnsafeMutablePointer<Float>)
    /// Passes d to the source-side inputs. Called in parallel over sources.
    func pullbackSource(_ d: Float, edge e: Int, source j: Int, target i: Int, head h: Int)
}

/// The shared part of graph attention, per destination i and head h:
///
///     alpha_p = softmax over i's incoming positions p of score(p)     // (E, H), kept
///     out[i, h, :] = sum_p alpha_p · values[source(p), h, :]          // (Nt, H, C)
///
/// Backward, with g = dL/dout:
///
///     dalpha_p = g[i, h, :] · values[j, h, :]
///     dlogit_p = alpha_p (dalpha_p - sum_q alpha_q dalpha_q)           // (E, H), scratch
///     dvalues[j, h, :] += alpha_p g[i, h, :]
///
/// Pass A runs over fixed blocks of targets (target-side and edge gradients, plus a partial
/// sum of shared weights per block, reduced in block order); pass B runs over sources. Every
/// sum has a fixed order, so results do not depend on the thread count.
enum AttentionKernel {
    /// Targets per pass-A block; fixed, so the partial sums do not depend on the threads.
    static let blockSize = 64

    /// Forward: (out (Nt, H, C), alpha (E, H) by position).
    static func forward<S: EdgeScorer>(_ scorer: S, _ index: EdgeIndex, heads: Int, channels: Int,
                                       values: UnsafePointer<Float>) -> (out: [Float], alpha: [Float]) {
        let nt = index.targetCount, width = heads * channels
        var out: [Float] = []
        let alpha = [Float].uninitialized(count: index.edgeCount * heads) { a in
            out = [Float].uninitialized(count: nt * width) { o in
                // With no edges (or no targets) a buffer may have no address; none is read.
                let alpha = a.baseAddress ?? emptyRow.pointer, out = o.baseAddress ?? emptyRow.pointer
                index.withPointers { ix in
                    Parallel.forEachChunk(nt, minimumChunk: minimumChunk(items: nt, work: index.edgeCount * width)) { range in
                        for i in range {
                            forwardTarget(scorer, i, ix, heads: heads, channels: channels, values: values,
                                          alpha: alpha, out: out + i * width)
                        }
                    }
                }
            }
        }
        return (out, alpha)
    }

    /// Scores, softmax and weighted sum for target i; an isolated target gets zeros.
    @inline(__always)
    private static func forwardTarget<S: EdgeScorer>(_ scorer: S, _ i: Int, _ ix: EdgeIndex.Pointers, heads: Int, channels: Int,
                                                     values: UnsafePointer<Float>, alpha: UnsafeMutablePointer<Float>,
                                                     out: UnsafeMutablePointer<Float>) {
        let lo = Int(ix.targetOffsets[i]), hi = Int(ix.targetOffsets[i + 1])
        out.initialize(repeating: 0, count: heads * channels)
        guard lo < hi else { return }
        for p in lo..<hi {
            let j = Int(ix.sourceOf[p]), e = Int(ix.edgeOf[p])
            for h in 0..<heads { alpha[p * heads + h] = scorer.score(edge: e, source: j, target: i, head: h) }
        }
        for h in 0..<heads {
            var m = -Float.infinity
            for p in lo..<hi { m = max(m, alpha[p * heads + h]) }
            var total: Float = 0
            for p in lo..<hi {
                let x = Foundation.exp(alpha[p * heads + h] - m)
                alpha[p * heads + h] = x
                total += x
            }
            let inverse = 1 / total
            for p in lo..<hi { alpha[p * heads + h] *= inverse }
        }
        for p in lo..<hi {
            let row = values + Int(ix.sourceOf[p]) * heads * channels
            for h in 0..<heads {
                axpy(alpha[p * heads + h], row + h * channels, out + h * channels, channels)
            }
        }
    }

    /// Backward. Fills `valueGradient` (Ns, H, C) when given, calls the scorer's pullbacks, and
    /// returns the shared-weight gradient (partialWidth), summed over blocks.
    static func backward<S: EdgeScorer>(_ scorer: S, _ index: EdgeIndex, heads: Int, channels: Int, values: UnsafePointer<Float>,
                                        alpha: UnsafePointer<Float>, gradient g: UnsafePointer<Float>,
                                        valueGradient: UnsafeMutablePointer<Float>?, needsSourcePass: Bool) -> [Float] {
        let nt = index.targetCount, ns = index.sourceCount, width = heads * channels, pw = scorer.partialWidth
        let blocks = (nt + blockSize - 1) / blockSize
        let work = index.edgeCount * width
        let dlogit = KernelBuffer(count: index.edgeCount * heads)  // (E, H) by position
        let partials = KernelBuffer(count: blocks * pw)              // (blocks, partialWidth)
        index.withPointers { ix in
            // Pass A: softmax backward and target-side gradients, per block of targets.
            Parallel.forEachChunk(blocks, minimumChunk: minimumChunk(items: blocks, work: work)) { range in
                for b in range {
                    for i in (b * blockSize)..<min(nt, (b + 1) * blockSize) {
                        let lo = Int(ix.targetOffsets[i]), hi = Int(ix.targetOffsets[i + 1])
                        let d = dlogit.pointer, gi = g + i * width
                        for p in lo..<hi {
                            let row = values + Int(ix.sourceOf[p]) * width
                            for h in 0..<heads { d[p * heads + h] = dot(gi + h * channels, row + h * channels, channels) }
                        }
                        for h in 0..<heads {
                            var expected: Float = 0
                            for p in lo..<hi { expected += alpha[p * heads + h] * d[p * heads + h] }
                            for p in lo..<hi { d[p * heads + h] = alpha[p * heads + h] * (d[p * heads + h] - expected) }
                        }
                        for p in lo..<hi {
                            let j = Int(ix.sourceOf[p]), e = Int(ix.edgeOf[p])
                            for h in 0..<heads {
                                scorer.pullbackTarget(d[p * heads + h], edge: e, source: j, target: i, head: h,
                                                      partial: partials.pointer + b * pw)
                            }
                        }
                    }
                }
            }
            guard needsSourcePass else { return }
            // Pass B: value and source-side gradients, per source, edges in position order.
            Parallel.forEachChunk(ns, minimumChunk: minimumChunk(items: ns, work: work)) { range in
                for j in range {
                    for k in Int(ix.sourceOffsets[j])..<Int(ix.sourceOffsets[j + 1]) {
                        let p = Int(ix.positionsBySource[k]), i = Int(ix.targetOf[p]), e = Int(ix.edgeOf[p])
                        for h in 0..<heads {
                            if let dv = valueGradient {
                                axpy(alpha[p * heads + h], g + i * width + h * channels, dv + j * width + h * channels, channels)
                            }
                            scorer.pullbackSource(dlogit.pointer[p * heads + h], edge: e, source: j, target: i, head: h)
                        }
                    }
                }
            }
        }
        var shared = [Float](repeating: 0, count: pw)
        for b in 0..<blocks { for k in 0..<pw { shared[k] += partials.pointer[b * pw + k] } }
        return shared
    }

    /// Stands in for the address of an empty array.
    private static let emptyRow = KernelBuffer(count: 1)

    /// Items per chunk so that one chunk holds at least ~16K multiply-adds.
    static func minimumChunk(items: Int, work: Int) -> Int {
        Swift.max(1, items * 16_384 / Swift.max(1, work))
    }

    /// Runs `body` with a pointer to each array's elements (recursively nested borrows).
    static func withPointers<R>(_ arrays: ArraySlice<[Float]>, _ taken: [UnsafePointer<Float>] = [],
                                _ body: ([UnsafePointer<Float>]) -> R) -> R {
        guard let first = arrays.first else { return body(taken) }
        return first.withUnsafeBufferPointer { p in
            // An empty array may have no address; nothing reads through it (count 0).
            withPointers(arrays.dropFirst(), taken + [p.baseAddress ?? UnsafePointer(emptyRow.pointer)], body)
        }
    }

    /// Runs `body` with a zeroed buffer per count (nil where the count is nil) that kernel
    /// threads write through, and returns the buffers as arrays, without a copy.
    static func withOutputs(_ counts: ArraySlice<Int?>, _ taken: [UnsafeMutablePointer<Float>?] = [],
                            _ body: ([UnsafeMutablePointer<Float>?]) -> Void) -> [[Float]?] {
        guard let first = counts.first else { body(taken); return [] }
        guard let n = first else { return [nil] + withOutputs(counts.dropFirst(), taken + [nil], body) }
        var rest: [[Float]?] = []
        let array = [Float](unsafeUninitializedCapacity: Swift.max(1, n)) { buffer, initialised in
            buffer.initialize(repeating: 0)
            rest = withOutputs(counts.dropFirst(), taken + [buffer.baseAddress!], body)
            initialised = n
        }
        return [array] + rest
    }

    // MARK: Channel loops

    /// x · y over n floats, 8 lanes at a time (a plain loop would not vectorise: float sums
    /// are not reassociated).
    @inline(__always)
    static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = SIMD8<Float>(repeating: 0)
        var c = 0
        while c + 8 <= n {
            acc += UnsafeRawPointer(x + c).loadUnaligned(as: SIMD8<Float>.self)
                 * UnsafeRawPointer(y + c).loadUnaligned(as: SIMD8<Float>.self)
            c += 8
        }
        var total = acc.sum()
        while c < n { total += x[c] * y[c]; c += 1 }
        return total
    }

    /// y += a · x over n floats.
    @inline(__always)
    static func axpy(_ a: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        for c in 0..<n { y[c] += a * x[c] }
    }
}

/// A zeroed float buffer that kernel threads write through `pointer` (disjoint rows per
/// thread); `tensor` copies it out. Freed with its last reference.
final class KernelBuffer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    init(count: Int) {
        self.count = count
        pointer = .allocate(capacity: Swift.max(1, count))
        pointer.initialize(repeating: 0, count: Swift.max(1, count))
    }

    deinit { pointer.deallocate() }

    func tensor(_ shape: [Int]) -> Tensor {
        Tensor(shape: shape, data: Array(UnsafeBufferPointer(start: pointer, count: count)))
    }
}
