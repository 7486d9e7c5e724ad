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
        for name in names {
            var c = TrainingConfig()
            c.model.kind = name
            XCTAssertEqual(try ModelRegistry.entry(for: c).name, name, "\(name) is a model.kind")
        }
    }

    /// The registry, not the config reader, knows the kinds and what each needs of its keys.
    func testEntriesCheckTheKeysTheirModelReads() throws {
        func problem(_ edit: (inout TrainingConfig) -> Void) -> String {
            var c = TrainingConfig()
            edit(&c)
            do { _ = try ModelRegistry.entry(for: c, file: "x.yaml"); return "" } catch { return "\(error)" }
        }
        XCTAssertEqual(problem { $0.model.kind = "transe" }, "x.yaml: model.kind: expected one of \(ModelRegistry.entries.map(\.name)), got 'transe'")
        XCTAssertEqual(problem { $0.model.kind = "sage"; $0.model.fanouts = [5] },
                       "x.yaml: model.fanouts: expected one fanout (>= 1, or -1 for all) per layer (2), got [5]")
        XCTAssertEqual(problem { $0.model.kind = "sage"; $0.model.fanouts = [5, 0] },
                       "x.yaml: model.fanouts: expected one fanout (>= 1, or -1 for all) per layer (2), got [5, 0]")
        XCTAssertEqual(problem { $0.model.kind = "gatv2"; $0.model.relationFanouts = ["user->item": [3]] },
                       "x.yaml: model.relation_fanouts.user->item: expected one fanout (>= 1, or -1 for all) per layer (2), got [3]")
        XCTAssert(problem { $0.model.kind = "gatv2"; $0.model.embeddingSize = 33 }.contains("model.embedding_size: expected an even size"))
        XCTAssertEqual(problem { $0.model.kind = "lightgcn"; $0.model.fanouts = [5] }, "", "LightGCN samples nothing and reads no fanouts")
    }

    /// Relation names are the data's: the plan checks an override against the graph.
    func testARelationFanoutForARelationTheGraphLacksIsRefused() {
        var c = ClusterEngineTests.config("sage")
        c.model.relationFanouts = ["user->movie": [5, 5]]
        XCTAssertThrowsError(try TrainingPlan(config: c, dataset: ClusterEngineTests.dataset())) { error in
            XCTAssertEqual("\(error)", "<config>: model.relation_fanouts.user->movie: unknown relation; the graph has [\"item->user\", \"user->item\"]")
        }
    }

    func testEntriesBuildTheirModelAndFanouts() throws {
        var c = TrainingConfig()
        c.model.kind = "sage"
        c.model.fanouts = [5, 3]
        c.model.relationFanouts = ["user->item": [2, 2]]
        let relations = GraphTopology.userItemRelations
        let sage = try ModelRegistry.entry(for: c)
        XCTAssertEqual(relations.map { sage.fanouts(c.model, $0) }, [[5, 3], [2, 2]])
        XCTAssertEqual(try TrainingPlan.makeModel(c, relations: relations, nodeTypeCount: 2).name, "sage-mean")
        c.model.kind = "bpr"
        let bpr = try ModelRegistry.entry(for: c)
        XCTAssertEqual(relations.map { bpr.fanouts(c.model, $0) }, [[], []])
        let mf = try TrainingPlan.makeModel(c, relations: relations, nodeTypeCount: 2)
        XCTAssertEqual(mf.name, "bpr")
        XCTAssertEqual(mf.layerCount, 0)
    }

    func testLightGCNRunsOnTheWholeGraph() throws {
        var c = TrainingConfig()
        c.model.kind = "lightgcn"
        c.model.layers = 3
        let entry = try ModelRegistry.entry(for: c)
        XCTAssertEqual(entry.scope, .wholeGraph)
        let model = try TrainingPlan.makeModel(c, relations: GraphTopology.userItemRelations, nodeTypeCount: 2)
        XCTAssertEqual(model.name, "lightgcn")
        XCTAssertEqual(model.layerCount, 3)
        XCTAssertTrue(model.parameters.dense.isEmpty, "LightGCN has no weights beside its tables")
    }
}
