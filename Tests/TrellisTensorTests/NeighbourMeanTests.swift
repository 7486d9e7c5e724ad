import XCTest
import TrellisCore
import TrellisTensor
import TestSupport

/// `neighbourMean`: the mean of each destination's incoming rows, against a gather and a
/// segment sum, by finite differences, and the same to the bit on 1 and 2 threads.
final class NeighbourMeanTests: XCTestCase {
    /// 6 edges into 4 destinations (3 has none), source 1 sending three times, one repeated edge.
    let sources: [Int32] = [1, 0, 4, 1, 2, 1], targets: [Int32] = [0, 2, 0, 1, 2, 2]

    func testMeansTheIncomingRowsAndGivesZerosWithoutEdges() {
        let edges = EdgeIndex(sources: sources, targets: targets, sourceCount: 5, targetCount: 4)
        let x = Variable(GradientCheck.input([5, 3], seed: 6))
        let sums = x.gather(rows: sources).segmentSum(targets, segmentCount: 4).value.data
        let counts: [Float] = [2, 1, 3, 0]
        let expected = sums.indices.map { k in counts[k / 3] == 0 ? 0 : sums[k] / counts[k / 3] }
        let out = x.neighbourMean(edges).value
        XCTAssertEqual(out.shape, [4, 3])
        for (a, b) in zip(out.data, expected) { XCTAssertEqual(a, b, accuracy: 1e-6) }
        XCTAssertEqual(Array(out.data[9..<12]), [0, 0, 0])
    }

    func testGradientsMatchFiniteDifferences() {
        let edges = EdgeIndex(sources: sources, targets: targets, sourceCount: 5, targetCount: 4)
        GradientCheck.check([GradientCheck.input([5, 3], seed: 6)]) { $0[0].neighbourMean(edges) }
        GradientCheck.check([GradientCheck.input([5, 2, 3], seed: 7)]) { $0[0].neighbourMean(edges) }  // rows of rank 2
    }

    /// 3,000 edges between 700 sources and 900 destinations: enough for several chunks.
    func testResultsDoNotDependOnTheThreadCount() {
        var rng = SeededGenerator(seed: 5)
        let s = (0..<3000).map { _ in Int32(rng.next() % 700) }, t = (0..<3000).map { _ in Int32(rng.next() % 900) }
        let edges = EdgeIndex(sources: s, targets: t, sourceCount: 700, targetCount: 900)
        let input = GradientCheck.input([700, 16], seed: 8), upstream = GradientCheck.input([900, 16], seed: 9)
        func run(threads: Int) -> ([Float], [Float]) {
            let saved = Parallel.threadCount
            Parallel.threadCount = threads
            defer { Parallel.threadCount = saved }
            let x = Variable(input, requiresGrad: true)
            let y = x.neighbourMean(edges)
            (y * Variable(upstream)).sum().backward()
            return (y.value.data, x.grad!.data)
        }
        let one = run(threads: 1), two = run(threads: 2)
        XCTAssertEqual(one.0, two.0)
        XCTAssertEqual(one.1, two.1)
    }
}
