import TrellisCluster
import TrellisGraph
import TrellisTraining
import XCTest

/// The registry is the one place a model kind is looked up: every entry answers to a config
/// kind and builds the model the plan and a worker build.
final class ModelRegistryTests: XCTestCase {
    func testEveryEntryAnswersToOneConfigKind() {
        let names = ModelRegistry.entries.map(\.name)
        XCTAssertEqual(Set(names).count, names.count, "one entry per kind")
        for name in names { XCTAssertNotNil(ModelSettings.Kind(rawValue: name), "\(name) is a model.kind") }
    }

    func testEntriesBuildTheirModelAndFanouts() throws {
        var c = TrainingConfig()
        c.model.kind = .sage
        c.model.fanouts = [5, 3]
        c.model.relationFanouts = ["user->item": [2, 2]]
        let relations = GraphTopology.userItemRelations
        let sage = try ModelRegistry.entry(for: c)
        XCTAssertEqual(relations.map { sage.fanouts(c.model, $0) }, [[5, 3], [2, 2]])
        XCTAssertEqual(try TrainingPlan.makeModel(c, relations: relations, nodeTypeCount: 2).name, "sage-mean")
        c.model.kind = .bpr
        let bpr = try ModelRegistry.entry(for: c)
        XCTAssertEqual(relations.map { bpr.fanouts(c.model, $0) }, [[], []])
        let mf = try TrainingPlan.makeModel(c, relations: relations, nodeTypeCount: 2)
        XCTAssertEqual(mf.name, "bpr")
        XCTAssertEqual(mf.layerCount, 0)
    }

    func testLightGCNRunsOnTheWholeGraph() throws {
        var c = TrainingConfig()
        c.model.kind = .lightgcn
        c.model.layers = 3
        let entry = try ModelRegistry.entry(for: c)
        XCTAssertEqual(entry.scope, .wholeGraph)
        let model = try TrainingPlan.makeModel(c, relations: GraphTopology.userItemRelations, nodeTypeCount: 2)
        XCTAssertEqual(model.name, "lightgcn")
        XCTAssertEqual(model.layerCount, 3)
        XCTAssertTrue(model.parameters.dense.isEmpty, "LightGCN has no weights beside its tables")
    }
}
