// MARK: Bipartite user-item graphs

extension HeteroGraph {
    /// The relation between users and the items they interacted with.
    public static let rates = RelationType(source: "user", name: "rates", target: "item")

    /// The bipartite graph of `table`: node types "user" and "item" (sized by the table's
    /// id maps) and relation ("user", "rates", "item") with repeated pairs collapsed and no
    /// weights, as graph models such as LightGCN expect.
    public static func userItem(from table: InteractionTable) -> HeteroGraph {
        var graph = HeteroGraph()
        do {
            try graph.addNodeType("user", ids: table.userIDs)
            try graph.addNodeType("item", ids: table.itemIDs)
            try graph.addRelation(rates, sources: table.users, targets: table.items, deduplicate: true)
        } catch {
            // A table's ids come from its own maps, so this means the table was corrupted.
            preconditionFailure("HeteroGraph.userItem: \(error)")
        }
        return graph
    }
}
