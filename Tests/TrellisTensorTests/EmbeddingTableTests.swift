import XCTest
import TrellisCore
import TrellisTensor
import TestSupport

final class EmbeddingTableTests: XCTestCase {
    /// The lookup's row gradient matches finite differences on the table's weights.
    func testLookupGradientIsRowsOnly() {
        var rng = SeededGenerator(seed: 1)
        let weights = Tensor.normal([6, 3], std: 1, using: &rng)
        let ids: [Int32] = [4, 1, 4]
        let w = Tensor.uniform([3, 3], low: -1, high: 1, using: &rng)
        let table = EmbeddingTable(name: "t", weights: weights)
        let out = table.lookup(ids).tanh()
        out.backward(seed: w)
        let g = table.gradient.coalesced()
        XCTAssertEqual(g.rowIDs, [1, 4], "only looked-up rows carry gradient")

        func loss(_ t: Tensor) -> Double {
            let y = EmbeddingTable(name: "t", weights: t).lookup(ids).tanh().value
            return zip(y.data, w.data).reduce(0) { $0 + Double($1.0) * Double($1.1) }
        }
        let eps: Float = 1e-2
        for (k, row) in g.rowIDs.enumerated() {
            for j in 0..<3 {
                var p = weights, m = weights
                p.data[Int(row) * 3 + j] += eps; m.data[Int(row) * 3 + j] -= eps
                let numeric = Float((loss(p) - loss(m)) / Double(2 * eps))
                XCTAssertEqual(g.values[k * 3 + j], numeric, accuracy: 1e-2)
            }
        }
    }

    func testSecondBackwardDoesNotRepeatTheFirst() {
        let table = EmbeddingTable(name: "t", weights: Tensor(shape: [2, 1], data: [3, 5]))
        let u = table.lookup([0])
        u.sum().backward()                 // d/du = 1
        (u * u).sum().backward()           // d/du = 2u = 6
        XCTAssertEqual(table.gradient.coalesced().values, [7])
    }

    func testCoalesceSumsDuplicatesInOrder() {
        var g = RowGradient(dimension: 2)
        g.add(rowIDs: [3, 1], values: [1, 2, 3, 4])
        g.add(rowIDs: [3], values: [10, 20])
        let c = g.coalesced()
        XCTAssertEqual(c.rowIDs, [1, 3])
        XCTAssertEqual(c.values, [3, 4, 11, 22])
    }

    /// Ids without repeats (a step's pulled rows) come out sorted with their rows, through the
    /// slot table (ids below 4n + 4096) and through the sort (an id far above).
    func testCoalesceOrdersRowsWithoutRepeats() {
        for far in [Int32(7), 1_000_000] {
            let g = RowGradient(dimension: 2, rowIDs: [5, 2, far, 0], values: [1, 2, 3, 4, 5, 6, 7, 8])
            let c = g.coalesced()
            XCTAssertEqual(c.rowIDs, [0, 2, 5, far])
            XCTAssertEqual(c.values, [7, 8, 3, 4, 1, 2, 5, 6])
        }
    }

    func testAllGivesEveryRow() {
        let table = EmbeddingTable(name: "t", weights: Tensor(shape: [3, 2], data: [1, 2, 3, 4, 5, 6]))
        table.all().sum().backward()
        XCTAssertEqual(table.gradient.coalesced().rowIDs, [0, 1, 2])
        XCTAssertEqual(table.gradient.values, [1, 1, 1, 1, 1, 1])
    }

    func testClipByGlobalNorm() {
        let store = ParameterStore()
        let w = store.addDense("w", Tensor(shape: [2], data: [0, 0]))
        let t = store.addTable("t", Tensor(shape: [2, 2], repeating: 0))
        w.grad = Tensor(shape: [2], data: [3, 0])
        t.setGradient(RowGradient(dimension: 2, rowIDs: [1], values: [0, 4]))
        let norm = store.prepareGradients(clipNorm: 1)
        XCTAssertEqual(norm, 5, accuracy: 1e-6)
        assertClose(w.grad!.data, [0.6, 0])
        assertClose(t.gradient.values, [0, 0.8])
    }
}
