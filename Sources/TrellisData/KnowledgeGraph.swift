/// Knowledge-graph triples from a RecBole `.kg` file (`head_id`, `relation_id`, `tail_id`).
///
/// Heads and tails share one entity id space; relations have their own. Load the `.link`
/// file first and pass its `entityIDs` here to line linked entities up with items.
public struct KnowledgeGraph: Sendable {
    /// Head entity id of each triple.
    public var heads: [Int32]
    /// Relation id of each triple.
    public var relations: [Int32]
    /// Tail entity id of each triple.
    public var tails: [Int32]
    /// Raw entity id <-> internal entity id (heads and tails).
    public var entityIDs: IDMap
    /// Raw relation id <-> internal relation id.
    public var relationIDs: IDMap

    /// Number of triples.
    public var count: Int { heads.count }

    /// Loads the `.kg` file at `path`, extending `entityIDs` / `relationIDs` when given.
    public static func load(path: String, entityIDs: IDMap? = nil, relationIDs: IDMap? = nil) throws -> KnowledgeGraph {
        var entities = TokenInterner(entityIDs ?? IDMap())
        var relationNames = TokenInterner(relationIDs ?? IDMap())
        var graph = KnowledgeGraph(heads: [], relations: [], tails: [], entityIDs: IDMap(), relationIDs: IDMap())
        try scanTokenColumns(path: path, required: ["head_id", "relation_id", "tail_id"]) { row, columns in
            graph.heads.append(entities.intern(row.bytes(columns[0])))
            graph.relations.append(relationNames.intern(row.bytes(columns[1])))
            graph.tails.append(entities.intern(row.bytes(columns[2])))
        }
        graph.entityIDs = entities.map
        graph.relationIDs = relationNames.map
        return graph
    }
}

/// Item-to-entity links from a RecBole `.link` file (`item_id`, `entity_id`).
public struct ItemEntityLinks: Sendable {
    /// Item id of each link.
    public var items: [Int32]
    /// Entity id of each link.
    public var entities: [Int32]
    /// Raw item id <-> internal item id.
    public var itemIDs: IDMap
    /// Raw entity id <-> internal entity id.
    public var entityIDs: IDMap

    /// Number of links.
    public var count: Int { items.count }

    /// Loads the `.link` file at `path`; pass an interaction table's `itemIDs` to share items.
    public static func load(path: String, itemIDs: IDMap? = nil, entityIDs: IDMap? = nil) throws -> ItemEntityLinks {
        var itemNames = TokenInterner(itemIDs ?? IDMap())
        var entityNames = TokenInterner(entityIDs ?? IDMap())
        var links = ItemEntityLinks(items: [], entities: [], itemIDs: IDMap(), entityIDs: IDMap())
        try scanTokenColumns(path: path, required: ["item_id", "entity_id"]) { row, columns in
            links.items.append(itemNames.intern(row.bytes(columns[0])))
            links.entities.append(entityNames.intern(row.bytes(columns[1])))
        }
        links.itemIDs = itemNames.map
        links.entityIDs = entityNames.map
        return links
    }
}

// MARK: Shared scanning

/// Scans an atomic file whose `required` columns are tokens, checking field counts and
/// non-empty ids, and hands each row with the required columns' indices to `body`.
func scanTokenColumns(path: String, required: [String], _ body: (Row, [Int]) -> Void) throws {
    let file = try TextFile.read(path)
    let header = try AtomicHeader(try file.headerRow(delimiter: .tab), file: path)
    let columns = try required.map { try header.require($0, types: [.token], file: path) }
    let names = header.fields.map(\.spelling)
    try file.forEachRow(delimiter: .tab) { row in
        if row.line <= header.line { return }
        try checkRowFieldCount(row, names: names, file: path)
        for column in columns where row.isEmpty(column) {
            throw DataError.invalidValue(file: path, line: row.line, column: column + 1,
                                         field: names[column], expected: "a non-empty id", found: "")
        }
        body(row, columns)
    }
}
