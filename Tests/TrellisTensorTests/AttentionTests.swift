import XCTest
import TrellisCore
import TrellisTensor
import TestSupport

/// The fused attention ops: the edge index layout, agreement with the same formula written
/// as small ops, finite differences for every input, and sums that do not depend on threads.
final class AttentionTests: XCTestCase {
    // 4 sources, 5 targets, given out of order: target 0 has no edge, target 1 one edge,
    // target 2 a repeated edge (1 -> 2 twice), target 4 only repeats (2 -> 4 twice).
    private let sources: [Int32] = [1, 0, 2, 3, 2, 1, 3, 0, 2]
    private let targets: [Int32] = [2, 2, 1, 3, 4, 2, 2, 3, 4]
    private lazy var edges = EdgeIndex(sources: sources, targets: targets, sourceCount: 4, targetCount: 5)
    private let heads = 3

    private func x(_ shape: [Int], _ seed: UInt64) -> Tensor { GradientCheck.input(shape, low: -1.5, high: 1.5, seed: seed) }

    func testEdgeIndexGroupsByTargetKeepingInputOrder() {
        XCTAssertEqual(edges.edgeCount, 9)
        XCTAssertEqual((0..<5).map { edges.inDegree($0) }, [0, 1, 4, 2, 2])
        XCTAssertEqual(edges.edgesByTarget, [2, 0, 1, 5, 6, 3, 7, 4, 8])
        let empty = EdgeIndex(sources: [], targets: [], sourceCount: 0, targetCount: 3)
        XCTAssertEqual((0..<3).map { empty.inDegree($0) }, [0, 0, 0])
    }

    // MARK: GATv2

    /// The GATv2 formula from gather, leakyRelu, segmentSoftmax and segmentSum.
    private func gatv2Reference(_ v: [Variable], edge: Variable?) -> Variable {
        let (xl, xr, a) = (v[0], v[1], v[2])
        let e = sources.count
        var z = xl.gather(rows: sources) + xr.gather(rows: targets)  // (E, H, C)
        if let edge { z = z + edge }
        let logits = (z.leakyRelu(slope: 0.2) * a).sum(axis: 2)    // (E, H)
        let alpha = logits.segmentSoftmax(targets, segmentCount: 5)
        return (xl.gather(rows: sources) * alpha.reshaped([e, heads, 1])).segmentSum(targets, segmentCount: 5)
    }

    func testGATv2MatchesSmallOpsForwardAndBackward() {
        for channels in [5, 11] {  // below 8 lanes, and 8 lanes plus a tail
            let inputs = [x([4, heads, channels], 1), x([5, heads, channels], 2), x([heads, channels], 3), x([9, heads, channels], 4)]
            for withEdges in [false, true] {
                let fused = inputs.map { Variable($0, requiresGrad: true) }
                let plain = inputs.map { Variable($0, requiresGrad: true) }
                let out = Variable.gatv2Attention(source: fused[0], target: fused[1], edge: withEdges ? fused[3] : nil,
                                                  attention: fused[2], edges: edges)
                let reference = gatv2Reference(plain, edge: withEdges ? plain[3] : nil)
                assertClose(out.value.data, reference.value.data, accuracy: 1e-5)
                XCTAssertEqual(Array(out.value.data[0..<(heads * channels)]), Array(repeating: 0, count: heads * channels),
                               "a target with no edge gets zeros")
                let seed = GradientCheck.input(out.shape, seed: 9)
                out.backward(seed: seed)
                reference.backward(seed: seed)
                for k in 0..<(withEdges ? 4 : 3) {
                    assertClose(fused[k].grad!.data, plain[k].grad!.data, accuracy: 1e-4)
                }
            }
        }
    }

    /// The smallest |x_l[j] + x_r[i] + x_e[ji]| over edges, heads and channels: how far the
    /// inputs sit from LeakyReLU's kink, which a finite-difference step must not cross.
    private func kinkDistance(_ inputs: [Tensor], edge: Bool) -> Float {
        var z = Variable(inputs[0]).gather(rows: sources) + Variable(inputs[1]).gather(rows: targets)
        if edge { z = z + Variable(inputs[3]) }
        return z.value.data.map(abs).min()!
    }

    func testGATv2GradientsMatchFiniteDifferences() {
        let channels = 9
        let inputs = [x([4, heads, channels], 37), x([5, heads, channels], 38), x([heads, channels], 13), x([9, heads, channels], 40)]
        // A small step, on inputs chosen to sit well away from LeakyReLU's kink (most seeds
        // put some z within 1e-3 of it, where a step crosses it).
        XCTAssertGreaterThan(min(kinkDistance(inputs, edge: true), kinkDistance(inputs, edge: false)), 0.02)
        GradientCheck.check(inputs, epsilon: 1e-3, tolerance: 2e-2, absoluteTolerance: 2e-3) { v in
            Variable.gatv2Attention(source: v[0], target: v[1], edge: v[3], attention: v[2], edges: edges)
        }
        GradientCheck.check(Array(inputs.prefix(3)), epsilon: 1e-3, tolerance: 2e-2, absoluteTolerance: 2e-3) { v in
            Variable.gatv2Attention(source: v[0], target: v[1], attention: v[2], edges: edges, negativeSlope: 0.1)
        }
    }

    // MARK: GAT

    func testGATMatchesSmallOpsAndFiniteDifferences() {
        let channels = 10
        let inputs = [x([4, heads], 21), x([5, heads], 22), x([4, heads, channels], 23), x([9, heads], 24)]
        let fused = Variable.gatAttention(sourceScores: Variable(inputs[0]), targetScores: Variable(inputs[1]),
                                          edgeScores: Variable(inputs[3]), values: Variable(inputs[2]), edges: edges)
        let logits = (Variable(inputs[0]).gather(rows: sources) + Variable(inputs[1]).gather(rows: targets) + Variable(inputs[3]))
            .leakyRelu(slope: 0.2)
        let alpha = logits.segmentSoftmax(targets, segmentCount: 5).reshaped([9, heads, 1])
        let reference = (Variable(inputs[2]).gather(rows: sources) * alpha).segmentSum(targets, segmentCount: 5)
        assertClose(fused.value.data, reference.value.data, accuracy: 1e-5)

        GradientCheck.check(inputs, epsilon: 1e-3, tolerance: 2e-2, absoluteTolerance: 2e-3) { v in
            Variable.gatAttention(sourceScores: v[0], targetScores: v[1], edgeScores: v[3], values: v[2], edges: edges)
        }
        GradientCheck.check(Array(inputs.prefix(3)), epsilon: 1e-3, tolerance: 2e-2, absoluteTolerance: 2e-3) { v in
            Variable.gatAttention(sourceScores: v[0], targetScores: v[1], values: v[2], edges: edges)
        }
    }

    func testNoEdgesOrNoTargets() {
        for (ns, nt) in [(3, 4), (0, 4), (3, 0)] {
            let none = EdgeIndex(sources: [], targets: [], sourceCount: ns, targetCount: nt)
            let v = [x([ns, 2, 3], 1), x([nt, 2, 3], 2), x([2, 3], 3), x([0, 2, 3], 4)].map { Variable($0, requiresGrad: true) }
            let out = Variable.gatv2Attention(source: v[0], target: v[1], edge: v[3], attention: v[2], edges: none)
            let scores = [x([ns, 2], 5), x([nt, 2], 6)].map { Variable($0, requiresGrad: true) }
            let gat = Variable.gatAttention(sourceScores: scores[0], targetScores: scores[1], values: v[0], edges: none)
            for y in [out, gat] {
                XCTAssertEqual(y.shape, [nt, 2, 3])
                XCTAssertTrue(y.value.data.allSatisfy { $0 == 0 })
                y.backward(seed: Tensor(shape: y.shape, repeating: 1))
            }
            for p in v + scores { XCTAssertTrue((p.grad?.data ?? []).allSatisfy { $0 == 0 }) }
        }
    }

    // MARK: Threads

    func testResultsDoNotDependOnTheThreadCount() {
        var rng = SeededGenerator(seed: 31)
        let (ns, nt, e, h, c) = (300, 700, 20_000, 2, 16)
        let src = (0..<e).map { _ in Int32(rng.next() % UInt64(ns)) }
        let dst = (0..<e).map { _ in Int32(rng.next() % UInt64(nt - 50)) }  // the last 50 targets get no edge
        let big = EdgeIndex(sources: src, targets: dst, sourceCount: ns, targetCount: nt)
        let inputs = [x([ns, h, c], 1), x([nt, h, c], 2), x([h, c], 3), x([e, h, c], 4)]
        let seed = x([nt, h, c], 5)
        func run(threads: Int) -> [[Float]] {
            let saved = Parallel.threadCount
            Parallel.threadCount = threads
            defer { Parallel.threadCount = saved }
            let v = inputs.map { Variable($0, requiresGrad: true) }
            let out = Variable.gatv2Attention(source: v[0], target: v[1], edge: v[3], attention: v[2], edges: big)
            out.backward(seed: seed)
            return [out.value.data] + v.map { $0.grad!.data }
        }
        XCTAssertEqual(run(threads: 1), run(threads: 4))
    }
}
