@testable import TrellisCluster
import TrellisTensor
import TrellisWire
import XCTest

/// Evaluation messages keep their numbers exact whatever the gradients' encoding.
final class EvaluationMessageTests: XCTestCase {
    func testActivationsAndDenseWeightsTravelLosslesslyUnderHalfPrecisionGradients() throws {
        let codec = CodecOptions(encoding: .float16, shuffle: true, lz4: true)
        let rows = Tensor(shape: [2, 3], data: [1.0001, -2.3e-7, 3.14159, 65504.5, 1e-9, -7.77777])
        let task = EvaluationTask(session: 9, round: 1, part: .test, layer: 1, partition: 2,
                                  dense: [Tensor(shape: [2, 2], data: [0.1, 0.2, 0.3, 1e-8])])
        for m in [Message.activationRows(rows), .layerTask(task),
                  .activationPush(session: 9, round: 1, layer: 1, type: 0, ids: [3, 4], rows: rows)] {
            XCTAssertEqual(try Message.decode(m.frame(codec: codec).frame, limits: HostileFrameTests.limits()), m, "\(m.kind)")
        }
    }
}
