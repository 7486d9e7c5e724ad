import Foundation
import TrellisCheckpoint
import TrellisCluster
import TrellisData
import TrellisTensor
import TrellisTraining
import XCTest

/// `model.pretrained`: an embedding table starts from a trained matrix (seed 003's item
/// vectors), row by raw id; rows the file lacks keep their seeded start; a file of the wrong
/// width, ids that do not match its rows, or a malformed .npy are refused by name.
final class PretrainedTableTests: XCTestCase {
    private var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("trellis-pretrained-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(at: dir) }

    /// Writes a (3, width) matrix for raw ids i3, i5 and one the data lacks; returns the config.
    private func config(width: Int, ids: [String] = ["i3", "nowhere", "i5"], safetensors: Bool = false) throws -> TrainingConfig {
        let values = (0..<(3 * width)).map { Float($0) / 10 }
        let path = dir.appendingPathComponent(safetensors ? "items.safetensors" : "items.npy").path
        let bytes = safetensors
            ? SafeTensors.encode(entries: [SafeTensorsEntry(name: "vectors", tensor: Tensor(shape: [3, width], data: values))])
            : NPY.float32(shape: [3, width], values: values)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let idsPath = dir.appendingPathComponent("items.txt").path
        try (ids.joined(separator: "\n") + "\n").write(toFile: idsPath, atomically: true, encoding: .utf8)
        var c = NextItemTaskTests.config()
        c.model.pretrained = ["item": PretrainedSource(path: path, ids: idsPath, tensor: safetensors ? "vectors" : nil)]
        return c
    }

    func testRowsStartFromTheFileByRawID() throws {
        for safetensors in [false, true] {
            let c = try config(width: 16, safetensors: safetensors)
            let plan = try TrainingPlan(config: c, dataset: NextItemTaskTests.chains())
            var plain = c
            plain.model.pretrained = [:]
            let seeded = try TrainingPlan(config: plain, dataset: NextItemTaskTests.chains()).initialParameters()
            let items = try XCTUnwrap(plan.initialParameters().tables.first { $0.name == "item.embedding" }).weights
            let before = try XCTUnwrap(seeded.tables.first { $0.name == "item.embedding" }).weights
            let ids = NextItemTaskTests.chains().split.train.itemIDs
            let three = Int(try XCTUnwrap(ids.id(of: "i3"))), five = Int(try XCTUnwrap(ids.id(of: "i5")))
            XCTAssertEqual(Array(items.data[three * 16..<three * 16 + 16]), (0..<16).map { Float($0) / 10 })
            XCTAssertEqual(Array(items.data[five * 16..<five * 16 + 16]), (32..<48).map { Float($0) / 10 })
            for row in 0..<24 where row != three && row != five {
                XCTAssertEqual(Array(items.data[row * 16..<row * 16 + 16]), Array(before.data[row * 16..<row * 16 + 16]), "row \(row) seeded")
            }
            XCTAssertEqual(plan.pretrained.first?.unknown, 1)
            XCTAssertEqual(try TrainingConfig.parse(yaml: c.spec), c)
        }
    }

    func testAMatrixThatDoesNotFitIsRefused() throws {
        XCTAssertThrowsError(try TrainingPlan(config: try config(width: 8), dataset: NextItemTaskTests.chains())) { error in
            XCTAssert("\(error)".contains("model.pretrained.item") && "\(error)".contains("embedding_size is 16"), "\(error)")
        }
        XCTAssertThrowsError(try TrainingPlan(config: try config(width: 16, ids: ["i3", "i5"]), dataset: NextItemTaskTests.chains())) { error in
            XCTAssert("\(error)".contains("items.txt") && "\(error)".contains("3 ids"), "\(error)")
        }
        let npy = NPY.float32(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(try NPY.floatMatrix(npy, file: "a.npy").values, [1, 2, 3, 4, 5, 6])
        XCTAssertThrowsError(try NPY.floatMatrix(Array(npy.dropLast(4)), file: "a.npy")) { XCTAssert("\($0)".contains("a.npy"), "\($0)") }
        var fortran = npy
        let key = Array("'fortran_order': False".utf8)
        let at = try XCTUnwrap((0...(npy.count - key.count)).first { Array(npy[$0..<($0 + key.count)]) == key })
        fortran.replaceSubrange(at..<(at + key.count), with: Array("'fortran_order': True ".utf8))
        XCTAssertThrowsError(try NPY.floatMatrix(fortran, file: "f.npy")) { XCTAssert("\($0)".contains("fortran_order False"), "\($0)") }
        XCTAssertThrowsError(try NPY.floatMatrix(NPY.float32(shape: [6], values: [1, 2, 3, 4, 5, 6]), file: "v.npy")) {
            XCTAssert("\($0)".contains("2-D"), "\($0)")
        }
    }
}
