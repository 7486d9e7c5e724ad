import TrellisData
import TrellisGraph
import XCTest

/// The one graph type: a schema named by the data, relations built from edge lists with
/// their attributes, every id checked first.
final class GraphBuildingTests: XCTestCase {
    let schema = GraphSchema(
        nodeTypes: [.init(name: "user", count: 2), .init(name: "item", count: 3)],
        relations: [.init(name: "rates", source: 0, target: 1, attributes: ["rating", "time"]),
                    .init(name: "rated_by", source: 1, target: 0, attributes: ["rating"])],
        features: [.init(name: "text", nodeType: 1, width: 8)])

    func testRelationsAreStoredByTargetWithTheirAttributes() throws {
        let users: [Int32] = [1, 0, 1, 1], items: [Int32] = [2, 2, 0, 2]
        let ratings: [Float] = [0.5, 1, 2, 4], times: [Float] = [10, 11, 12, 13]
        let g = try GraphTopology.build(schema, edges: [
            .init(sources: users, targets: items, attributes: [ratings, times]),
            .init(sources: items, targets: users, attributes: [ratings]),
        ])
        XCTAssertEqual(g.nodeTypes, ["user", "item"])
        XCTAssertEqual(g.nodeCounts, [2, 3])
        let rates = g.adjacency[0]
        XCTAssertEqual(Array(rates.row(2)), [0, 1, 1], "item 2 hears from users 0 and 1 (twice), sources ascending")
        XCTAssertEqual(g.attributes[0][0], [2, 1, 0.5, 4], "item 0's edge, then item 2's in source order, ties in data order")
        XCTAssertEqual(g.attributes[0][1], [12, 11, 10, 13])
        XCTAssertEqual(Array(g.adjacency[1].row(1)), [0, 2, 2])
        XCTAssertEqual(g.attributes[1][0], [1, 2, 0.5, 4])
        let once = try GraphTopology.build(schema, edges: [
            .init(sources: users, targets: items, attributes: [ratings, times]),
            .init(sources: items, targets: users, attributes: [ratings]),
        ], deduplicate: true)
        XCTAssertEqual(Array(once.adjacency[0].row(2)), [0, 1], "a repeated pair keeps its first occurrence")
        XCTAssertEqual(once.attributes[0][0], [2, 1, 0.5])
        XCTAssertEqual(once.edgeCount, 6)
    }

    func testBadEdgesAreRefusedNamingTheRelationEdgeAndColumn() {
        func error(_ edges: [GraphTopology.EdgeList]) -> DataError? {
            do { _ = try GraphTopology.build(schema, edges: edges) } catch let e as DataError { return e } catch { XCTFail("\(error)") }
            return nil
        }
        let ok = GraphTopology.EdgeList(sources: [0], targets: [0], attributes: [[1]])
        let e = error([.init(sources: [0, 1, 1], targets: [0, 3, 1], attributes: [[1, 2, 3], [1, 2, 3]]), ok])
        XCTAssertEqual(e?.kind, .idOutOfRange)
        XCTAssertEqual(e?.description, "user-rates->item:2: column 2 (target:item): expected an id in 0..<3, found \"3\"")
        XCTAssertEqual(error([.init(sources: [-1], targets: [0], attributes: [[1], [1]]), ok])?.column, 1)
        XCTAssertNotNil(error([.init(sources: [0], targets: [0], attributes: [[1]]), ok]), "an attribute missing")
        XCTAssertNotNil(error([ok]), "an edge list missing")
    }

    func testASchemaWithRepeatedOrDanglingNamesIsRefused() {
        var bad = schema
        bad.nodeTypes.append(.init(name: "user", count: 1))
        XCTAssertThrowsError(try bad.validate())
        bad = schema
        bad.relations[1].target = 5
        XCTAssertThrowsError(try bad.validate())
        bad = schema
        bad.features[0].width = 0
        XCTAssertThrowsError(try bad.validate())
        XCTAssertNoThrow(try schema.validate())
        XCTAssertEqual(schema.relation(named: "rated_by"), 1)
    }
}
