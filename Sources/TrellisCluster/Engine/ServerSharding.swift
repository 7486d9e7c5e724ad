import TrellisTensor

/// Rows of every table spread over `count` parameter-server processes: row r lives on shard
/// r % count, as local row r / count; dense weights and their optimizer state live on shard 0.
///
/// Row-sparse optimizers update each row from its own gradient and moments, and every shard
/// steps its optimizer once per global step, so a sharded server computes exactly what one
/// server computes (global gradient-norm clipping is the exception: it needs every shard).
public struct ServerSharding: Sendable, Equatable {
    public let count: Int

    public init(count: Int) {
        precondition(count >= 1, "at least one shard")
        self.count = count
    }

    public func shard(of row: Int32) -> Int { Int(row) % count }
    public func local(_ row: Int32) -> Int32 { row / Int32(count) }
    /// Rows of a table of `rows` that shard `shard` holds.
    public func rowCount(_ rows: Int, shard: Int) -> Int { rows > shard ? (rows - shard + count - 1) / count : 0 }

    /// For each shard, the positions in `ids` of the rows it holds.
    public func split(_ ids: [Int32]) -> [[Int]] {
        var out = [[Int]](repeating: [], count: count)
        for (k, id) in ids.enumerated() { out[shard(of: id)].append(k) }
        return out
    }

    /// Shard `shard`'s rows of a (rows, width) row-major buffer.
    public func slice(_ whole: [Float], width: Int, shard: Int) -> [Float] {
        let rows = whole.count / max(width, 1)
        var out: [Float] = []
        out.reserveCapacity(rowCount(rows, shard: shard) * width)
        for r in stride(from: shard, to: rows, by: count) { out.append(contentsOf: whole[(r * width)..<((r + 1) * width)]) }
        return out
    }

    /// Writes shard `shard`'s rows back into the whole buffer.
    public func merge(_ part: [Float], width: Int, shard: Int, into whole: inout [Float]) {
        var local = 0
        for r in stride(from: shard, to: whole.count / max(width, 1), by: count) {
            for j in 0..<width { whole[r * width + j] = part[local * width + j] }
            local += 1
        }
    }

    // MARK: Whole state <-> shard states

    /// Shard `shard`'s part of `server`'s state (the coordinator's copy).
    public func state(of server: ParameterServer, shard: Int) -> ShardState {
        let store = server.store
        let (dense, rows) = server.optimizerStates()
        return ShardState(
            shard: shard, version: server.version, cursors: server.cursors, lossSum: 0,
            tables: store.tables.map { Tensor(shape: [rowCount($0.rowCount, shard: shard), $0.dimension],
                                              data: slice($0.weights.data, width: $0.dimension, shard: shard)) },
            dense: shard == 0 ? store.dense.map(\.value) : [],
            denseOptimizer: shard == 0 ? dense : OptimizerState(stepCount: dense.stepCount),
            rowOptimizer: sliced(rows, tables: store.tables, shard: shard))
    }

    /// Puts the shards' states (one per shard, any order) into `server`: weights into its
    /// store, optimizer moments into its optimizers. The step bookkeeping stays the server's
    /// own; a shard that disagrees on the version is an error. Every state is checked before
    /// anything changes: a table buffer must hold the shard's rows x the table's dimension
    /// (the width is never inferred from the buffer).
    public func merge(_ states: [ShardState], into server: ParameterServer) throws {
        let byShard = Dictionary(states.map { ($0.shard, $0) }, uniquingKeysWith: { a, _ in a })
        guard byShard.count == count, states.count == count, byShard.keys.allSatisfy({ $0 >= 0 && $0 < count }) else {
            throw ShardError("expected the states of shards 0..<\(count), got \(states.map(\.shard).sorted())")
        }
        let store = server.store
        for s in states {
            guard s.version == server.version else { throw ShardError("shard \(s.shard) is at version \(s.version), the run at \(server.version)") }
            try check(s, tables: store.tables, dense: s.shard == 0 ? store.dense : [])
        }
        let first = byShard[0]!
        var rows = OptimizerState(stepCount: first.rowOptimizer.stepCount)
        for key in Set(states.flatMap { $0.rowOptimizer.buffers.keys }) {
            // `check` refused a buffer of no table. A shard that has not touched a table yet has
            // no moments for it: zeros.
            guard let table = Self.table(of: key, in: store.tables) else { continue }
            var whole = [Float](repeating: 0, count: table.weights.count)
            for s in states { if let piece = s.rowOptimizer.buffers[key] { merge(piece, width: table.dimension, shard: s.shard, into: &whole) } }
            rows.buffers[key] = whole
        }
        // Checks the optimizer buffers against the whole tables before anything is written.
        do {
            try server.restore(version: server.version, cursors: server.cursors, dense: first.denseOptimizer, rows: rows, lossSum: server.lossSum)
        } catch { throw ShardError("merging the shards' states: \(error)") }
        for (t, table) in store.tables.enumerated() {
            var whole = table.weights.data
            for s in states { merge(s.tables[t].data, width: table.dimension, shard: s.shard, into: &whole) }
            table.weights = Tensor(shape: table.weights.shape, data: whole)
        }
        for (p, value) in zip(store.dense, first.dense) { p.value = value }
    }

    /// Each table buffer of a row optimizer's state cut to shard `shard`'s rows (a buffer holds
    /// rows x the table's dimension); other buffers go to shard 0, whose optimizer refuses
    /// any it does not keep.
    func sliced(_ state: OptimizerState, tables: [EmbeddingTable], shard: Int) -> OptimizerState {
        var out = OptimizerState(stepCount: state.stepCount)
        for (key, buffer) in state.buffers {
            if let table = Self.table(of: key, in: tables) {
                out.buffers[key] = slice(buffer, width: table.dimension, shard: shard)
            } else if shard == 0 {
                out.buffers[key] = buffer
            }
        }
        return out
    }

    /// The table an optimizer buffer ("m/NAME", "accumulator/NAME", ...) belongs to, if any.
    static func table(of key: String, in tables: [EmbeddingTable]) -> EmbeddingTable? {
        guard let name = key.split(separator: "/", maxSplits: 1).last.map(String.init), key.contains("/") else { return nil }
        return tables.first { $0.name == name }
    }

    /// Shapes of a shard's state against what it should hold.
    public func check(_ s: ShardState, tables: [EmbeddingTable], dense: [Variable]) throws {
        guard s.tables.count == tables.count, s.dense.count == dense.count else {
            throw ShardError("shard \(s.shard): \(s.tables.count) tables and \(s.dense.count) dense, expected \(tables.count) and \(dense.count)")
        }
        for (t, table) in zip(s.tables, tables) where t.shape != [rowCount(table.rowCount, shard: s.shard), table.dimension] {
            throw ShardError("shard \(s.shard): \(table.name) is \(t.shape), expected \([rowCount(table.rowCount, shard: s.shard), table.dimension])")
        }
        for (v, p) in zip(s.dense, dense) where v.shape != p.value.shape {
            throw ShardError("shard \(s.shard): \(p.name) is \(v.shape), expected \(p.value.shape)")
        }
        for (key, buffer) in s.rowOptimizer.buffers.sorted(by: { $0.key < $1.key }) {
            guard let table = Self.table(of: key, in: tables) else {
                throw ShardError("shard \(s.shard): optimizer buffer \(key) names no table; expected one of \(tables.map(\.name))")
            }
            let expected = rowCount(table.rowCount, shard: s.shard) * table.dimension
            guard buffer.count == expected else {
                throw ShardError("shard \(s.shard): optimizer buffer \(key) has \(buffer.count) values, expected \(expected) "
                                 + "(\(rowCount(table.rowCount, shard: s.shard)) rows x \(table.dimension))")
            }
        }
    }
}

/// A shard state or request that does not fit the run.
public struct ShardError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
