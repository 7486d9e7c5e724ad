import XCTest
@testable import TrellisData

final class FeatureAndKGTests: XCTestCase {
    // MARK: Feature tables

    func testFeatureColumnsByType() throws {
        let dir = try FixtureDirectory(); defer { dir.remove() }
        let path = try dir.file("x.item", """
            item_id:token\ttitle:token_seq\tyear:token\tprice:float\temb:float_seq
            10\tToy Story\t1995\t9.5\t0.5 1
            20\tHeat\t1995\t\t
            """)
        let items = IDMap(["20", "30"])
        let table = try FeatureTable.load(path: path, keyField: "item_id", keyIDs: items)
        XCTAssertEqual(table.count, 2)
        XCTAssertEqual(table.keyIDs.raws, ["20", "30", "10"], "new keys are appended to the passed map")
        XCTAssertEqual(table.keys, [2, 0])
        XCTAssertEqual(table.row(ofKey: 0), 1)
        XCTAssertNil(table.row(ofKey: 1), "key 30 has no row")
        XCTAssertEqual(table.row(ofKey: 2), 0)
        XCTAssertEqual(table.tokenSequences("title"), [["Toy", "Story"], ["Heat"]])
        XCTAssertEqual(table.tokens("year"), ["1995", "1995"])
        if case .token(let ids, let vocabulary)? = table.column("year") {
            XCTAssertEqual(ids, [0, 0])
            XCTAssertEqual(vocabulary.count, 1)
        } else {
            XCTFail("year should be a token column")
        }
        let prices = try XCTUnwrap(table.floats("price"))
        XCTAssertEqual(prices[0], 9.5)
        XCTAssertTrue(prices[1].isNaN, "an empty float cell reads as NaN")
        XCTAssertEqual(table.floatSequences("emb"), [[0.5, 1], []])
        XCTAssertNil(table.floats("title"), "wrong-type access returns nil")
        XCTAssertEqual(table.fields.map(\.spelling).first, "item_id:token")
    }

    func testRealML100KItemsAndUsers() throws {
        let items = try FeatureTable.load(path: try ml100kPath("item"), keyField: "item_id")
        XCTAssertEqual(items.count, 1682)
        XCTAssertEqual(items.tokenSequences("movie_title")?[0], ["Toy", "Story"])
        XCTAssertEqual(items.tokens("release_year")?[0], "1995")
        let users = try FeatureTable.load(path: try ml100kPath("user"), keyField: "user_id")
        XCTAssertEqual(users.count, 943)
        XCTAssertEqual(users.tokens("gender")?[0], "M")
        XCTAssertEqual(Set(users.tokens("gender") ?? []), ["M", "F"])
    }

    // MARK: Knowledge graph

    func testKGAndLinksShareEntities() throws {
        let dir = try FixtureDirectory(); defer { dir.remove() }
        let link = try ItemEntityLinks.load(path: try dir.file("x.link", "item_id:token\tentity_id:token\n1\tm.a\n2\tm.b\n"))
        let kg = try KnowledgeGraph.load(path: try dir.file("x.kg", """
            head_id:token\trelation_id:token\ttail_id:token
            m.b\tdirected_by\tm.c
            m.a\tstars\tm.b
            """), entityIDs: link.entityIDs)
        XCTAssertEqual(link.items, [0, 1])
        XCTAssertEqual(link.entities, [0, 1])
        XCTAssertEqual(kg.count, 2)
        XCTAssertEqual(kg.heads, [1, 0])
        XCTAssertEqual(kg.tails, [2, 1])
        XCTAssertEqual(kg.relations, [0, 1])
        XCTAssertEqual(kg.entityIDs.raws, ["m.a", "m.b", "m.c"])
        XCTAssertEqual(kg.relationIDs.raws, ["directed_by", "stars"])
    }

    func testRealML100KKnowledgeGraph() throws {
        let link = try ItemEntityLinks.load(path: try ml100kPath("link"))
        let kg = try KnowledgeGraph.load(path: try ml100kPath("kg"), entityIDs: link.entityIDs)
        XCTAssertEqual(link.count, 1598)
        XCTAssertEqual(kg.count, 91631)
        XCTAssertEqual(kg.entityIDs.raw(of: kg.heads[0]), "m.04ctbw8")
        XCTAssertEqual(kg.relationIDs.raw(of: kg.relations[0]), "film.producer.film")
        XCTAssertGreaterThanOrEqual(kg.entityIDs.count, link.entityIDs.count)
    }
}
