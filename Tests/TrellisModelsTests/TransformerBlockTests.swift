import XCTest
import TrellisCore
import TrellisTensor
import TrellisModels
import TestSupport

/// SASRec's block in both norm placements: every weight and the input against finite
/// differences, causality (a later position never changes an earlier output), padding, and
/// dropout that only acts in training.
final class TransformerBlockTests: XCTestCase {
    let (sequences, length, width) = (2, 4, 6)
    let padding = [true, false, false, false, false, false, false, false]

    func block(_ norm: TransformerBlock.Norm, dropout: Float = 0) -> (TransformerBlock, ParameterStore) {
        let store = ParameterStore()
        var rng = SeededGenerator(seed: 3)
        return (TransformerBlock(width: width, heads: 2, hidden: 8, dropout: dropout, norm: norm, parameters: store, name: "b", rng: &rng), store)
    }

    func run(_ b: TransformerBlock, _ x: Variable, training: Bool = false, seed: UInt64 = 1) -> Variable {
        var rng = SeededGenerator(seed: seed)
        return b(x, sequences: sequences, length: length, padding: padding, training: training, rng: &rng)
    }

    func testGradientsOfEveryWeightAndTheInput() {
        for norm in [TransformerBlock.Norm.pre, .post] {
            let (b, store) = block(norm)
            XCTAssertEqual(store.dense.count, 16, "4 projections, 2 feed-forward layers (weight + bias each), 2 norms")
            let x = GradientCheck.input([8, 6], seed: 4)
            GradientCheck.checkParameters(store.dense, tolerance: 3e-2) { run(b, Variable(x)) }
            GradientCheck.check([x], tolerance: 3e-2) { run(b, $0[0]) }
        }
    }

    func testALaterPositionNeverChangesAnEarlierOutput() {
        let (b, _) = block(.pre)
        var x = GradientCheck.input([8, 6], seed: 5)
        let before = run(b, Variable(x)).value
        for c in 0..<6 { x.data[7 * 6 + c] += 1 }   // sequence 1, last position
        let after = run(b, Variable(x)).value
        XCTAssertEqual(Array(before.data[0..<42]), Array(after.data[0..<42]), "rows before the changed one")
        XCTAssertNotEqual(Array(before.data[42..<48]), Array(after.data[42..<48]))
        // A padded key: changing it changes nothing else of its sequence.
        var y = GradientCheck.input([8, 6], seed: 6)
        let base = run(b, Variable(y)).value
        for c in 0..<6 { y.data[c] += 1 }
        XCTAssertEqual(Array(base.data[6..<24]), Array(run(b, Variable(y)).value.data[6..<24]))
    }

    func testDropoutOnlyInTraining() {
        let (b, _) = block(.post, dropout: 0.3)
        let x = Variable(GradientCheck.input([8, 6], seed: 7))
        XCTAssertEqual(run(b, x).value, run(b, x, seed: 9).value, "evaluation draws nothing")
        XCTAssertNotEqual(run(b, x, training: true).value, run(b, x).value)
        XCTAssertEqual(run(b, x, training: true, seed: 2).value, run(b, x, training: true, seed: 2).value, "seeded")
    }

    /// `lastOnly` computes each sequence's last position exactly as the full block does, and
    /// its weights and input pass finite differences.
    func testTheLastPositionAloneMatchesTheFullBlock() {
        for norm in [TransformerBlock.Norm.pre, .post] {
            let (b, store) = block(norm)
            let x = GradientCheck.input([8, 6], seed: 8)
            func last(_ input: Variable) -> Variable {
                var rng = SeededGenerator(seed: 1)
                return b(input, sequences: sequences, length: length, padding: padding, training: false, rng: &rng, lastOnly: true)
            }
            let full = run(b, Variable(x)).value.data, part = last(Variable(x)).value.data
            XCTAssertEqual(part.count, 12)
            for c in 0..<6 {
                XCTAssertEqual(part[c], full[3 * 6 + c], accuracy: 1e-5)
                XCTAssertEqual(part[6 + c], full[7 * 6 + c], accuracy: 1e-5)
            }
            GradientCheck.checkParameters(store.dense, tolerance: 3e-2) { last(Variable(x)) }
            GradientCheck.check([x], tolerance: 3e-2) { last($0[0]) }
        }
    }
}
