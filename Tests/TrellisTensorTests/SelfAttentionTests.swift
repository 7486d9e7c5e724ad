import XCTest
import TrellisCore
import TrellisTensor
import TestSupport

/// The fused causal self-attention: agreement with the formula written out loop by loop,
/// causality and key padding, finite differences for q, k and v, and the same numbers for
/// any thread count.
final class SelfAttentionTests: XCTestCase {
    // 2 sequences of length 4, 2 heads of 3 channels; sequence 0 left-padded by 2.
    let (sequences, length, heads, dh) = (2, 4, 2, 3)
    let padding = [true, true, false, false, false, false, false, false]

    private func x(_ seed: UInt64) -> Tensor { GradientCheck.input([8, 6], low: -1.5, high: 1.5, seed: seed) }

    /// O[b, i, head] = Σ_j softmax_j(q_i · k_j / sqrt(dh)) v_j over keys j <= i not padded.
    private func reference(_ q: Tensor, _ k: Tensor, _ v: Tensor) -> [Float] {
        let width = heads * dh
        var out = [Float](repeating: 0, count: sequences * length * width)
        for b in 0..<sequences { for h in 0..<heads { for i in 0..<length {
            let keys = (0...i).filter { !padding[b * length + $0] }
            guard !keys.isEmpty else { continue }
            let scores = keys.map { j in
                (0..<dh).reduce(Float(0)) { $0 + q.data[(b * length + i) * width + h * dh + $1] * k.data[(b * length + j) * width + h * dh + $1] }
                    / Float(dh).squareRoot()
            }
            let top = scores.max()!, e = scores.map { Foundation.exp($0 - top) }, sum = e.reduce(0, +)
            for (n, j) in keys.enumerated() { for c in 0..<dh {
                out[(b * length + i) * width + h * dh + c] += e[n] / sum * v.data[(b * length + j) * width + h * dh + c]
            } }
        } } }
        return out
    }

    private func attention(_ v: [Variable], weights: ((Tensor) -> Void)? = nil) -> Variable {
        .causalSelfAttention(query: v[0], key: v[1], value: v[2], sequences: sequences, length: length, heads: heads,
                             padding: padding, weights: weights)
    }

    func testMatchesTheFormulaAndMasks() {
        let (q, k, v) = (x(1), x(2), x(3))
        var weights: Tensor?
        let out = attention([Variable(q), Variable(k), Variable(v)]) { weights = $0 }
        assertClose(out.value.data, reference(q, k, v), accuracy: 1e-5)
        XCTAssertEqual(out.value.data[0..<12], [Float](repeating: 0, count: 12)[...], "padded queries with no key left: zeros")
        let p = try! XCTUnwrap(weights)
        XCTAssertEqual(p.shape, [2, 2, 4, 4])
        for b in 0..<2 { for h in 0..<2 { for i in 0..<4 {
            let row = (0..<4).map { p.data[((b * 2 + h) * 4 + i) * 4 + $0] }
            for j in (i + 1)..<4 where j < 4 { XCTAssertEqual(row[j], 0, "no future key") }
            if b == 0 { XCTAssertEqual(row[0] + row[1], 0, "no padded key") }
            if b == 1 || i >= 2 { XCTAssertEqual(row.reduce(0, +), 1, accuracy: 1e-5) }
        } } }
    }

    func testGradientsOfQueryKeyAndValue() {
        GradientCheck.check([x(4), x(5), x(6)], epsilon: 1e-2, tolerance: 2e-2) { attention($0) }
    }

    func testThreadCountDoesNotChangeTheNumbers() {
        let inputs = [x(7), x(8), x(9)]
        func run(_ threads: Int) -> [Float] {
            let saved = Parallel.threadCount
            defer { Parallel.threadCount = saved }
            Parallel.threadCount = threads
            let vs = inputs.map { Variable($0, requiresGrad: true) }
            let out = attention(vs)
            out.sum().backward()
            return out.value.data + vs.flatMap { $0.grad!.data }
        }
        XCTAssertEqual(run(1), run(3))
    }

    /// Queries of the last Lq positions only: each output row is the full op's row of that
    /// position, and q, k and v pass finite differences.
    func testTheLastQueriesAloneGiveTheFullRows() {
        let q = x(21), k = x(22), v = x(23), width = heads * dh
        let full = attention([Variable(q), Variable(k), Variable(v)]).value.data
        for last in [1, 2] {
            let rows = (0..<sequences).flatMap { b in (length - last..<length).map { b * length + $0 } }
            let queries = Tensor(shape: [rows.count, width], data: rows.flatMap { q.data[$0 * width..<($0 + 1) * width] })
            let part = attention([Variable(queries), Variable(k), Variable(v)]).value.data
            for (n, r) in rows.enumerated() {
                for c in 0..<width { XCTAssertEqual(part[n * width + c], full[r * width + c], accuracy: 1e-6, "Lq \(last), row \(r)") }
            }
            GradientCheck.check([queries, k, v], tolerance: 2e-2) { attention($0) }
        }
    }

    /// Leading padded runs are skipped by the products (keys before a sequence's first item,
    /// queries with no key): runs of 3 and of the whole sequence, and a hole after a run of
    /// 1, against the formula for every number of last queries, with finite differences.
    func testLeadingPaddingIsSkippedExactly() {
        let (B, L, H, d) = (3, 5, 2, 2), width = H * d
        let padding = [true, true, true, false, false, true, true, true, true, true, true, false, true, false, false]
        let inputs = (0..<3).map { GradientCheck.input([B * L, width], low: -1.5, high: 1.5, seed: 30 + UInt64($0)) }
        let (q, k, v) = (inputs[0], inputs[1], inputs[2])
        for Lq in 1...L {
            let rows = (0..<B).flatMap { b in (L - Lq..<L).map { b * L + $0 } }
            let queries = Tensor(shape: [rows.count, width], data: rows.flatMap { q.data[$0 * width..<($0 + 1) * width] })
            func op(_ v: [Variable]) -> Variable {
                .causalSelfAttention(query: v[0], key: v[1], value: v[2], sequences: B, length: L, heads: H, padding: padding)
            }
            let out = op([Variable(queries), Variable(k), Variable(v)]).value.data
            for (n, r) in rows.enumerated() {
                let (b, i) = (r / L, r % L)
                for h in 0..<H {
                    let keys = (0...i).filter { !padding[b * L + $0] }
                    var expected = [Float](repeating: 0, count: d)
                    if !keys.isEmpty {
                        let scores = keys.map { j in (0..<d).reduce(Float(0)) { $0 + q.data[r * width + h * d + $1] * k.data[(b * L + j) * width + h * d + $1] } / Float(d).squareRoot() }
                        let top = scores.max()!, e = scores.map { Foundation.exp($0 - top) }, sum = e.reduce(0, +)
                        for (m, j) in keys.enumerated() { for c in 0..<d { expected[c] += e[m] / sum * v.data[(b * L + j) * width + h * d + c] } }
                    }
                    for c in 0..<d { XCTAssertEqual(out[n * width + h * d + c], expected[c], accuracy: 1e-5, "Lq \(Lq), row \(r), head \(h)") }
                }
            }
            if Lq == 2 || Lq == L { GradientCheck.check([queries, k, v], epsilon: 1e-2, tolerance: 2e-2) { op($0) } }
        }
    }
}

