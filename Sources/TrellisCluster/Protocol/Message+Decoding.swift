import TrellisEval
import TrellisGraph
import TrellisTensor
import TrellisWire

// MARK: Decoding

extension Message {
    /// Parses a frame received from a peer, checking every count, id and shape against
    /// `limits`. Throws `WireError` naming the field; never traps.
    public static func decode(_ frame: Frame, limits: WireLimits) throws -> Message {
        try decode(kind: frame.kind, header: ByteReader(frame.header), limits: limits)
    }

    /// The same from a frame's bytes and its `Frame.check` layout, read where they lie.
    public static func decode(_ bytes: [UInt8], layout: Frame.Layout, limits: WireLimits) throws -> Message {
        try decode(kind: layout.kind, header: ByteReader(bytes, range: layout.header), limits: limits)
    }

    static func decode(kind raw: UInt16, header: ByteReader, limits: WireLimits) throws -> Message {
        guard let kind = Kind(rawValue: raw) else {
            throw WireError.outOfRange("message.kind", what: "kind", found: "\(raw)", allowed: "1...\(Kind.allCases.count)")
        }
        var r = header
        r.decodeBudget = limits.maxDecodedBytes
        let n = limits.maxItems
        let message: Message
        switch kind {
        case .join:
            message = .join(token: try r.readString("join.token", maxBytes: 4096), name: try r.readString("join.name", maxBytes: 4096))
        case .welcome:
            let session = try r.u64("welcome.session"), rank = Int(try r.u32("welcome.rank"))
            let spec = try r.readString("welcome.spec", maxBytes: limits.maxStringBytes)
            let steps = Int(try r.u32("welcome.steps"))
            let exampleCounts = try ints("welcome.exampleCounts", &r, max: 1 << 16, valueMax: n)
            let schema = try Self.schema("welcome.schema", &r, limits)
            let nodeCounts = schema.nodeCounts
            let typeCount = try r.count("welcome.owners", max: 64)
            var owners: [[UInt16]] = []
            for t in 0..<typeCount {
                let c = try r.count("welcome.owners[\(t)]", max: n)
                guard c * 2 <= r.remaining else { throw WireError.truncated("welcome.owners[\(t)]", needed: c * 2, offset: r.offset, available: r.remaining) }
                var list = [UInt16](); list.reserveCapacity(c)
                for _ in 0..<c {
                    let p = try r.u16("welcome.owners[\(t)]")
                    guard Int(p) < exampleCounts.count else { throw WireError.outOfRange("welcome.owners[\(t)]", what: "partition", found: "\(p)", allowed: "0..<\(exampleCounts.count)") }
                    list.append(p)
                }
                owners.append(list)
            }
            let tableRows = try ints("welcome.tableRows", &r, max: 64, valueMax: n)
            let tableDims = try ints("welcome.tableDimensions", &r, max: 64, valueMax: 1 << 16)
            let tableKinds = try tableKinds("welcome.tableKinds", &r, count: tableDims.count)
            let frozen = zip(tableKinds, zip(tableRows, tableDims)).filter { $0.0 == .frozen }.map { [$0.1.0, $0.1.1] }
            guard tableKinds.prefix(nodeCounts.count).allSatisfy({ $0 == .trainable }),
                  frozen == schema.features.map({ [nodeCounts[$0.nodeType], $0.width] }) else {
                throw WireError.mismatch("welcome.tableKinds", expected: "a trainable table per node type, then the schema's feature tables",
                                         found: "\(tableKinds)")
            }
            let enc = try r.u8("welcome.codec.encoding")
            guard let encoding = ValueEncoding(rawValue: enc) else { throw WireError.outOfRange("welcome.codec.encoding", what: "encoding", found: "\(enc)", allowed: "0...2") }
            let codec = CodecOptions(encoding: encoding, shuffle: try r.u8("welcome.codec.shuffle") != 0, lz4: try r.u8("welcome.codec.lz4") != 0)
            let servers = try strings("welcome.servers", &r)
            let ratingMean = try r.f32("welcome.ratingMean")
            var ratingScale: ClosedRange<Float>?
            if try r.u8("welcome.ratingScale") != 0 {
                let low = try r.f32("welcome.ratingScale.low"), high = try r.f32("welcome.ratingScale.high")
                guard low.isFinite, high.isFinite, low <= high else {
                    throw WireError.mismatch("welcome.ratingScale", expected: "finite bounds, low <= high", found: "\(low)...\(high)")
                }
                ratingScale = low...high
            }
            guard ratingMean.isFinite else { throw WireError.mismatch("welcome.ratingMean", expected: "a finite mean", found: "\(ratingMean)") }
            guard steps >= 1, owners.count == nodeCounts.count, zip(owners, nodeCounts).allSatisfy({ $0.count == $1 }),
                  tableRows.count == tableDims.count else {
                throw WireError.mismatch("welcome", expected: "consistent counts", found: "steps \(steps), \(owners.count) owner lists for \(nodeCounts.count) types")
            }
            message = .welcome(Welcome(session: session, rank: rank, spec: spec, stepsPerEpoch: steps,
                                       exampleCounts: exampleCounts, schema: schema, owners: owners, tableRows: tableRows,
                                       tableDimensions: tableDims, tableKinds: tableKinds, codec: codec, servers: servers,
                                       ratingMean: ratingMean, ratingScale: ratingScale))
        case .assignment:
            let session = try r.u64("assignment.session")
            let partitions = try ints("assignment.partitions", &r, max: limits.partitionCount, valueMax: limits.partitionCount - 1)
            let relations = try r.count("assignment.relations", max: limits.relationCount)
            var targets: [[Int32]] = [], offsets: [[Int]] = [], sources: [[Int32]] = [], values: [[Float]] = []
            for k in 0..<relations {
                targets.append(try ids("assignment.targets[\(k)]", &r, max: n))
                offsets.append(try ints("assignment.offsets[\(k)]", &r, max: n, valueMax: n))
                sources.append(try ids("assignment.sources[\(k)]", &r, max: n))
                values.append(try edgeValues("assignment.values[\(k)]", &r, edges: sources[k].count))
            }
            let linkLists = try r.count("assignment.links", max: limits.partitionCount)
            var users: [[Int32]] = [], items: [[Int32]] = []
            for k in 0..<linkLists {
                users.append(try ids("assignment.links[\(k)].users", &r, max: n))
                items.append(try ids("assignment.links[\(k)].items", &r, max: n))
                guard users[k].count == items[k].count else { throw WireError.mismatch("assignment.links[\(k)]", expected: "\(users[k].count) items", found: "\(items[k].count)") }
            }
            guard linkLists == partitions.count else { throw WireError.mismatch("assignment.links", expected: "\(partitions.count)", found: "\(linkLists)") }
            // Ratings: none, or one finite value per link of every partition.
            let ratingLists = try r.count("assignment.ratings", max: linkLists)
            guard ratingLists == 0 || ratingLists == linkLists else {
                throw WireError.mismatch("assignment.ratings", expected: "0 or \(linkLists) lists", found: "\(ratingLists)")
            }
            let ratings = try (0..<ratingLists).map { k -> [Float] in
                let count = try r.count("assignment.ratings[\(k)]", max: users[k].count)
                guard count == users[k].count else { throw WireError.mismatch("assignment.ratings[\(k)]", expected: "\(users[k].count) ratings", found: "\(count)") }
                let values = try r.floats("assignment.ratings[\(k)]", count: count)
                guard values.allSatisfy(\.isFinite) else { throw WireError.mismatch("assignment.ratings[\(k)]", expected: "finite ratings", found: "NaN or infinity") }
                return values
            }
            let heldLists = try r.count("assignment.held", max: linkLists)
            guard heldLists == linkLists else { throw WireError.mismatch("assignment.held", expected: "\(linkLists)", found: "\(heldLists)") }
            var valid: [RatedPairs] = [], test: [RatedPairs] = []
            for k in 0..<heldLists {
                valid.append(try ratedPairs("assignment.valid[\(k)]", &r, limits))
                test.append(try ratedPairs("assignment.test[\(k)]", &r, limits))
            }
            message = .assignment(Assignment(session: session, partitions: partitions, targets: targets, offsets: offsets,
                                             sources: sources, values: values, linkUsers: users, linkItems: items, linkRatings: ratings,
                                             validLinks: valid, testLinks: test))
        case .taskRequest:
            message = .taskRequest(session: try r.u64("taskRequest.session"))
        case .heartbeat:
            message = .heartbeat(session: try r.u64("heartbeat.session"), progress: try r.u64("heartbeat.progress"))
        case .task:
            message = .task(session: try r.u64("task.session"), partition: Int(try r.u32("task.partition")),
                            epoch: Int(try r.u32("task.epoch")), step: Int(try r.u32("task.step")), grant: try Grant(tag: r.u64("task.grant"), reductions: r.count("task.reductions", max: Grant.maxReductions)))
        case .finished:
            message = .finished
        case .pull:
            let s = try r.u64("pull.session"), p = try partition("pull.partition", &r, limits)
            let g = try r.u64("pull.globalStep")
            let tables = try r.count("pull.tables", max: limits.tableRows.count)
            guard tables == limits.tableRows.count else { throw WireError.mismatch("pull.tables", expected: "\(limits.tableRows.count)", found: "\(tables)") }
            var lists: [[Int32]] = []
            for t in 0..<tables {
                let list = try ids("pull.ids[\(t)]", &r, max: limits.tableRows[t])
                for (k, id) in list.enumerated() where id < 0 || Int(id) >= limits.tableRows[t] {
                    throw WireError.outOfRange("pull.ids[\(t)][\(k)]", what: "row id", found: "\(id)", allowed: "0..<\(limits.tableRows[t])")
                }
                lists.append(list)
            }
            message = .pull(session: s, partition: p, globalStep: Int(clamping: g), ids: lists)
        case .rows:
            let tables = try r.count("rows.tables", max: limits.tableDimensions.count)
            var rows: [Tensor] = []
            for t in 0..<tables {
                let count = try r.count("rows[\(t)].count", max: limits.tableRows.isEmpty ? n : limits.tableRows[t])
                let d = limits.tableDimensions[t]
                rows.append(Tensor(shape: [count, d], data: try TensorCodec.decode(from: &r, field: "rows[\(t)]", count: .exactly(count * d))))
            }
            let denseCount = try r.count("rows.dense", max: limits.denseShapes.count)
            var dense: [Tensor] = []
            for k in 0..<denseCount {
                let shape = limits.denseShapes[k]
                dense.append(Tensor(shape: shape, data: try TensorCodec.decode(from: &r, field: "dense[\(k)]", count: .exactly(shape.reduce(1, *)))))
            }
            message = .rows(rows: rows, dense: dense)
        case .push:
            let s = try r.u64("push.session"), g = Int(clamping: try r.u64("push.globalStep")), grant = try Grant(tag: r.u64("push.grant"), reductions: r.count("push.reductions", max: Grant.maxReductions))
            let timingCount = try r.count("push.timings", max: 8)
            var timings: [Float] = []
            for _ in 0..<timingCount { timings.append(try r.f32("push.timings")) }
            let epoch = Int(try r.u32("push.epoch")), step = Int(try r.u32("push.step"))
            let p = try partition("push.partition", &r, limits)
            let loss = try r.f32("push.loss"), triples = Int(try r.u32("push.triples")), share = try r.f32("push.share")
            let tables = try r.count("push.tables", max: limits.tableRows.count)
            guard tables == limits.tableRows.count else { throw WireError.mismatch("push.tables", expected: "\(limits.tableRows.count)", found: "\(tables)") }
            var rows: [RowGradient] = []
            for t in 0..<tables {
                // A frozen table takes no rows: the count is refused before anything is read.
                let frozen = limits.tableKinds.indices.contains(t) && limits.tableKinds[t] == .frozen
                let b = try RowBlockCodec.decode(from: &r, field: frozen ? "push.rows[\(t)] (frozen)" : "push.rows[\(t)]",
                                                 dimension: limits.tableDimensions[t], rowLimit: limits.tableRows[t], maxRows: frozen ? 0 : nil)
                rows.append(RowGradient(dimension: b.dimension, rowIDs: b.rowIDs, values: b.values))
            }
            let denseCount = try r.count("push.dense", max: limits.denseShapes.count)
            guard denseCount == limits.denseShapes.count else { throw WireError.mismatch("push.dense", expected: "\(limits.denseShapes.count)", found: "\(denseCount)") }
            var dense: [Tensor?] = []
            for k in 0..<denseCount {
                if try r.u8("push.dense[\(k)].present") == 0 { dense.append(nil); continue }
                let shape = limits.denseShapes[k]
                dense.append(Tensor(shape: shape, data: try TensorCodec.decode(from: &r, field: "push.dense[\(k)]", count: .exactly(shape.reduce(1, *)))))
            }
            message = .push(session: s, globalStep: g, contribution: Contribution(
                step: StepID(epoch: epoch, step: step), partition: p, rows: rows, dense: dense, loss: loss, triples: triples, share: share),
                timings: timings, grant: grant)
        case .ack:
            message = .ack(applied: try r.u8("ack.applied") != 0)
        case .sampleRequest:
            let s = try r.u64("sample.session"), id = try r.u64("sample.requestID")
            let owner = try partition("sample.owner", &r, limits)
            let relation = Int(try r.u32("sample.relation"))
            guard relation < limits.relationCount else { throw WireError.outOfRange("sample.relation", what: "relation", found: "\(relation)", allowed: "0..<\(limits.relationCount)") }
            let fanout = Int(try r.i32("sample.fanout"))
            let tag = SampleTag(seed: try r.u64("sample.seed"), epoch: Int(try r.u32("sample.epoch")),
                                step: Int(try r.u32("sample.step")), hop: Int(try r.u32("sample.hop")))
            let nodes = try ids("sample.nodes", &r, max: n)
            message = .sampleRequest(SampleRequest(session: s, requestID: id, owner: owner, relation: relation, fanout: fanout, tag: tag, nodes: nodes))
        case .sampleReply:
            let s = try r.u64("sampleReply.session"), id = try r.u64("sampleReply.requestID")
            let counts = try ids("sampleReply.counts", &r, max: n), neighbours = try ids("sampleReply.neighbours", &r, max: n)
            guard counts.allSatisfy({ $0 >= 0 }), counts.reduce(0, { $0 + Int($1) }) == neighbours.count else {
                throw WireError.mismatch("sampleReply.counts", expected: "non-negative counts summing to \(neighbours.count)", found: "others")
            }
            let values = try edgeValues("sampleReply.values", &r, edges: neighbours.count)
            message = .sampleReply(session: s, requestID: id, sample: SampledNeighbours(counts: counts, neighbours: neighbours, values: values))
        case .sampleRefused:
            message = .sampleRefused(session: try r.u64("sampleRefused.session"), requestID: try r.u64("sampleRefused.requestID"),
                                     reason: try r.readString("sampleRefused.reason", maxBytes: 4096))
        case .error:
            message = .error(try r.readString("error.text", maxBytes: limits.maxStringBytes))
        case .stopped:
            message = .stopped(try r.readString("stopped.reason", maxBytes: 4096))
        case .serverJoin, .serverWelcome, .shardState, .stateRequest:
            message = try decodeServerMessage(kind, &r, limits: limits)
        case .layerTask:
            message = .layerTask(try evaluationTask("layerTask", &r, limits))
        case .scoreTask:
            message = .scoreTask(try evaluationTask("scoreTask", &r, limits))
        case .activationPull:
            let s = try r.u64("activationPull.session"), round = try r.u64("activationPull.round")
            let layer = Int(try r.u32("activationPull.layer"))
            let (type, list) = try typedIDs("activationPull", &r, limits)
            message = .activationPull(session: s, round: round, layer: layer, type: type, ids: list)
        case .activationRows:
            message = .activationRows(try activationRows("activationRows", &r, maxRows: limits.nodeCounts.max() ?? n))
        case .activationPush:
            let s = try r.u64("activationPush.session"), round = try r.u64("activationPush.round")
            let layer = Int(try r.u32("activationPush.layer"))
            let (type, list) = try typedIDs("activationPush", &r, limits)
            let rows = try activationRows("activationPush", &r, maxRows: list.count)
            guard rows.shape[0] == list.count else {
                throw WireError.mismatch("activationPush.rows", expected: "\(list.count) rows", found: "\(rows.shape[0])")
            }
            message = .activationPush(session: s, round: round, layer: layer, type: type, ids: list, rows: rows)
        case .layerDone:
            message = .layerDone(session: try r.u64("layerDone.session"), round: try r.u64("layerDone.round"),
                                 partition: try partition("layerDone.partition", &r, limits))
        case .evaluationSums:
            let s = try r.u64("evaluationSums.session"), round = try r.u64("evaluationSums.round")
            let p = try partition("evaluationSums.partition", &r, limits)
            message = .evaluationSums(session: s, round: round, partition: p, sums: try evaluationSums("evaluationSums", &r, limits))
        }
        try r.expectEnd("\(kind)")
        return message
    }

    /// A graph schema: at most 64 node types, 256 relations of 16 attributes, 64 feature
    /// tables, names of at most 256 bytes; then checked as a whole.
    static func schema(_ field: String, _ r: inout ByteReader, _ limits: WireLimits) throws -> GraphSchema {
        let typeCount = try r.count("\(field).nodeTypes", max: 64)
        let types = try (0..<typeCount).map { k in
            GraphSchema.NodeType(name: try r.readString("\(field).nodeTypes[\(k)].name", maxBytes: 256),
                                 count: Int(clamping: try r.u64("\(field).nodeTypes[\(k)].count")))
        }
        let relationCount = try r.count("\(field).relations", max: 256)
        let relations = try (0..<relationCount).map { k in
            let name = try r.readString("\(field).relations[\(k)].name", maxBytes: 256)
            let source = Int(try r.u32("\(field).relations[\(k)].source")), target = Int(try r.u32("\(field).relations[\(k)].target"))
            let attributes = try (0..<(try r.count("\(field).relations[\(k)].attributes", max: 16))).map { a in
                try r.readString("\(field).relations[\(k)].attributes[\(a)]", maxBytes: 256)
            }
            return GraphSchema.Relation(name: name, source: source, target: target, attributes: attributes)
        }
        let featureCount = try r.count("\(field).features", max: 64)
        let features = try (0..<featureCount).map { k in
            GraphSchema.FeatureTable(name: try r.readString("\(field).features[\(k)].name", maxBytes: 256),
                                     nodeType: Int(try r.u32("\(field).features[\(k)].nodeType")),
                                     width: Int(try r.u32("\(field).features[\(k)].width")))
        }
        let schema = GraphSchema(nodeTypes: types, relations: relations, features: features)
        do { try schema.validate() } catch {
            throw WireError.mismatch(field, expected: "a valid graph schema", found: "\(error)")
        }
        return schema
    }

    static func partition(_ field: String, _ r: inout ByteReader, _ limits: WireLimits) throws -> Int {
        let p = Int(try r.u32(field))
        guard p < limits.partitionCount else { throw WireError.outOfRange(field, what: "partition", found: "\(p)", allowed: "0..<\(limits.partitionCount)") }
        return p
    }

    /// One kind byte per table (`count` tables, already read).
    static func tableKinds(_ field: String, _ r: inout ByteReader, count: Int) throws -> [TableKind] {
        try (0..<count).map { k in
            let raw = try r.u8("\(field)[\(k)]")
            guard let kind = TableKind(rawValue: raw) else {
                throw WireError.outOfRange("\(field)[\(k)]", what: "table kind", found: "\(raw)", allowed: "0...1")
            }
            return kind
        }
    }

    static func ints(_ field: String, _ r: inout ByteReader, max: Int, valueMax: Int) throws -> [Int] {
        let c = try r.count(field, max: max)
        guard c * 8 <= r.remaining else { throw WireError.truncated(field, needed: c * 8, offset: r.offset, available: r.remaining) }
        var out: [Int] = []
        out.reserveCapacity(c)
        for k in 0..<c {
            let v = try r.u64(field)
            guard v <= UInt64(valueMax) else { throw WireError.outOfRange("\(field)[\(k)]", what: "value", found: "\(v)", allowed: "0...\(valueMax)") }
            out.append(Int(v))
        }
        return out
    }

    /// Attribute values of `edges` edges: none, or a whole number of finite values per edge, at
    /// most 16 (the schema's limit); the receiver checks the count against its schema.
    static func edgeValues(_ field: String, _ r: inout ByteReader, edges: Int) throws -> [Float] {
        let c = try r.count(field, max: 16 * edges)
        guard edges == 0 ? c == 0 : c % edges == 0 else {
            throw WireError.mismatch(field, expected: "a whole number of values for each of \(edges) edges", found: "\(c)")
        }
        let values = try r.floats(field, count: c)
        guard values.allSatisfy(\.isFinite) else { throw WireError.mismatch(field, expected: "finite values", found: "NaN or infinity") }
        return values
    }

    static func ids(_ field: String, _ r: inout ByteReader, max: Int) throws -> [Int32] {
        let c = try r.count(field, max: max)
        return try r.int32s(field, count: c)
    }
}
