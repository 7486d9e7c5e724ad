import XCTest
import TrellisCore
import TrellisTensor
@testable import TrellisModels
import TestSupport

/// SASRec's encoder: every dense weight and the item rows against finite differences, and a
/// state that depends only on the items at or before its position.
final class SASRecTests: XCTestCase {
    /// 2 sequences of 4 positions over 5 item rows, the first left-padded by 2.
    let sequences: [Int32] = [-1, -1, 3, 1, 0, 4, 2, 2]

    func model(_ norm: TransformerBlock.Norm, dropout: Float = 0) -> SASRec {
        SASRec(dimension: 6, maxLength: 4, blocks: 2, heads: 2, inner: 8, dropout: dropout, norm: norm, seed: 7)
    }

    func encode(_ m: SASRec, _ items: Variable, training: Bool = false, sequences: [Int32]? = nil,
                positions: SequencePositions = .every) -> Variable {
        var rng = SeededGenerator(seed: 1)
        return m.encode(items: items, sequences: sequences ?? self.sequences, training: training, positions: positions, rng: &rng, attention: nil)
    }

    func testGradientsOfEveryWeightAndTheItemRows() {
        for norm in [TransformerBlock.Norm.pre, .post] {
            let m = model(norm)
            XCTAssertEqual(m.parameters.dense.count, 1 + 2 * 16 + 2, "positions, 2 blocks, the final norm")
            let items = GradientCheck.input([5, 6], seed: 4)
            GradientCheck.checkParameters(m.parameters.dense, tolerance: 3e-2) { encode(m, Variable(items)) }
            GradientCheck.check([items], tolerance: 3e-2) { encode(m, $0[0]) }
            // Only the last positions: the full encoder's last rows, through their own backward.
            let full = encode(m, Variable(items)).value.data, last = encode(m, Variable(items), positions: .last).value.data
            XCTAssertEqual(last.count, 12)
            for c in 0..<6 {
                XCTAssertEqual(last[c], full[3 * 6 + c], accuracy: 1e-5)
                XCTAssertEqual(last[6 + c], full[7 * 6 + c], accuracy: 1e-5)
            }
            GradientCheck.checkParameters(m.parameters.dense, tolerance: 3e-2) { encode(m, Variable(items), positions: .last) }
            GradientCheck.check([items], tolerance: 3e-2) { encode(m, $0[0], positions: .last) }
        }
    }

    /// `.rows(p)` is `.every` gathered at p, forward and backward bit for bit (a loss reads
    /// the scored states without the (B·L, d) buffer of zeros), under dropout too; the rows
    /// pass finite differences.
    func testListedPositionsAreEveryStateGathered() {
        for norm in [TransformerBlock.Norm.pre, .post] {
            let m = model(norm, dropout: 0.2)
            let wanted: [Int32] = [7, 2, 4, 3]                          // sequence 0's padded rows 0 and 1 are not scoreable
            let seed = GradientCheck.input([6], seed: 9)
            var grads: [[Float]] = [], values: [[Float]] = []
            for listed in [false, true] {
                let items = Variable(GradientCheck.input([5, 6], seed: 11), requiresGrad: true)
                m.parameters.zeroGrad()
                let h = listed ? encode(m, items, training: true, positions: .rows(wanted))
                               : encode(m, items, training: true).gather(rows: wanted)
                values.append(h.value.data)
                (h * Variable(seed)).sum().backward()
                grads.append(items.grad!.data + m.parameters.dense.flatMap { $0.grad?.data ?? [] })
            }
            XCTAssertEqual(values[0].map(\.bitPattern), values[1].map(\.bitPattern), "\(norm)")
            XCTAssertEqual(grads[0].map(\.bitPattern), grads[1].map(\.bitPattern), "\(norm)")
            let plain = model(norm)
            GradientCheck.check([GradientCheck.input([5, 6], seed: 12)], tolerance: 3e-2) { encode(plain, $0[0], positions: .rows(wanted)) }
        }
    }

    func testAStateReadsOnlyItsPositionAndEarlierOnes() {
        let m = model(.pre)
        let items = Variable(GradientCheck.input([5, 6], seed: 5))
        let before = encode(m, items).value
        var later = sequences
        later[7] = 1   // sequence 1's last item
        let after = encode(m, items, sequences: later).value
        XCTAssertEqual(Array(before.data[0..<42]), Array(after.data[0..<42]))
        XCTAssertNotEqual(Array(before.data[42..<48]), Array(after.data[42..<48]))
        // Padding reads item row 0, which sequence 0 does not hold: its real states never see it.
        var moved = items.value
        for c in 0..<6 { moved.data[c] += 1 }
        XCTAssertEqual(Array(before.data[12..<24]), Array(encode(m, Variable(moved)).value.data[12..<24]))
    }

    func testDropoutOnlyInTraining() {
        let m = model(.pre, dropout: 0.3)
        let items = Variable(GradientCheck.input([5, 6], seed: 6))
        XCTAssertNotEqual(encode(m, items, training: true).value, encode(m, items).value)
        XCTAssertEqual(encode(m, items, training: true).value, encode(m, items, training: true).value, "seeded")
    }

    /// The blocks skip padded positions (packed rows); every real state equals the blocks run
    /// over all B·L positions, padded ones included, and padded states are 0.
    func testPackedRowsGiveTheStatesOfEveryPosition() {
        for norm in [TransformerBlock.Norm.pre, .post] {
            let m = model(norm)
            let items = Variable(GradientCheck.input([5, 6], seed: 8))
            let padding = sequences.map { $0 < 0 }
            var rng = SeededGenerator(seed: 1)
            var x = items.gather(rows: sequences.map { max($0, 0) }) + m.positions.gather(rows: (0..<8).map { Int32($0 % 4) })
            for block in m.blocks { x = block(x, sequences: 2, length: 4, padding: padding, training: false, rng: &rng) }
            let dense = x.layerNorm(gamma: m.norm.gamma, beta: m.norm.beta).value.data
            let packed = encode(m, items).value.data
            for r in 0..<8 {
                for c in 0..<6 {
                    if padding[r] { XCTAssertEqual(packed[r * 6 + c], 0, "padded row \(r)") }
                    else { XCTAssertEqual(packed[r * 6 + c], dense[r * 6 + c], accuracy: 1e-5, "row \(r)") }
                }
            }
        }
    }
}
