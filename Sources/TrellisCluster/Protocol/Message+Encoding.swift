import TrellisGraph
import TrellisTensor
import TrellisWire

// MARK: Encoding

extension Message {
    /// The message as a frame; float payloads use `codec`. Returns the frame and the raw vs
    /// encoded size of its float payloads (for the compression figures).
    public func frame(codec: CodecOptions = .default) -> (frame: Frame, stats: EncodedStats) {
        var h = ByteWriter()
        var stats = EncodedStats.zero
        switch self {
        case .join(let token, let name):
            h.string(token); h.string(name)
        case .welcome(let w):
            h.u64(w.session); h.u32(UInt32(w.rank)); h.string(w.spec); h.u32(UInt32(w.stepsPerEpoch))
            Self.ints(w.exampleCounts, &h); Self.schema(w.schema, &h)
            h.u32(UInt32(w.owners.count))
            for o in w.owners { h.u32(UInt32(o.count)); for v in o { h.u16(v) } }
            Self.ints(w.tableRows, &h); Self.ints(w.tableDimensions, &h); for k in w.tableKinds { h.u8(k.rawValue) }
            h.u8(w.codec.encoding.rawValue); h.u8(w.codec.shuffle ? 1 : 0); h.u8(w.codec.lz4 ? 1 : 0)
            h.u32(UInt32(w.servers.count)); for e in w.servers { h.string(e) }
            h.f32(w.ratingMean); h.u8(w.ratingScale == nil ? 0 : 1)
            if let s = w.ratingScale { h.f32(s.lowerBound); h.f32(s.upperBound) }
        case .assignment(let a):
            h.u64(a.session); Self.ints(a.partitions, &h)
            h.u32(UInt32(a.targets.count))
            for r in a.targets.indices {
                Self.ids(a.targets[r], &h); Self.ints(a.offsets[r], &h); Self.ids(a.sources[r], &h)
                Self.floats(r < a.values.count ? a.values[r] : [], &h)
            }
            h.u32(UInt32(a.linkUsers.count))
            for k in a.linkUsers.indices { Self.ids(a.linkUsers[k], &h); Self.ids(a.linkItems[k], &h) }
            h.u32(UInt32(a.linkRatings.count))
            for list in a.linkRatings { h.u32(UInt32(list.count)); for v in list { h.f32(v) } }
            h.u32(UInt32(a.validLinks.count))
            for k in a.validLinks.indices { Self.encode(a.validLinks[k], &h); Self.encode(a.testLinks[k], &h) }
        case .taskRequest(let s):
            h.u64(s)
        case .heartbeat(let s, let progress):
            h.u64(s); h.u64(progress)
        case .task(let s, let p, let e, let step, let grant):
            h.u64(s); h.u32(UInt32(p)); h.u32(UInt32(e)); h.u32(UInt32(step)); h.u64(grant.tag); h.u32(UInt32(grant.reductions))
        case .finished:
            break
        case .pull(let s, let p, let g, let ids):
            h.u64(s); h.u32(UInt32(p)); h.u64(UInt64(g)); h.u32(UInt32(ids.count))
            for list in ids { Self.ids(list, &h) }
        case .rows(let rows, let dense):
            h.u32(UInt32(rows.count))
            for t in rows { h.u32(UInt32(t.shape[0])); stats = stats + TensorCodec.encode(t.data, options: codec, into: &h) }
            h.u32(UInt32(dense.count))
            for t in dense { stats = stats + TensorCodec.encode(t.data, options: codec, into: &h) }
        case .push(let s, let g, let c, let timings, let grant):
            h.u64(s); h.u64(UInt64(g)); h.u64(grant.tag); h.u32(UInt32(grant.reductions)); h.u32(UInt32(timings.count)); for t in timings { h.f32(t) }
            h.u32(UInt32(c.step.epoch)); h.u32(UInt32(c.step.step)); h.u32(UInt32(c.partition))
            h.f32(c.loss); h.u32(UInt32(c.triples)); h.f32(c.share)
            h.u32(UInt32(c.rows.count))
            for g in c.rows {
                stats = stats + RowBlockCodec.encode(rowIDs: g.rowIDs, values: g.values, dimension: g.dimension, options: codec, into: &h)
            }
            h.u32(UInt32(c.dense.count))
            for g in c.dense {
                h.u8(g == nil ? 0 : 1)
                if let g { stats = stats + TensorCodec.encode(g.data, options: codec, into: &h) }
            }
        case .ack(let applied):
            h.u8(applied ? 1 : 0)
        case .sampleRequest(let r):
            h.u64(r.session); h.u64(r.requestID); h.u32(UInt32(r.owner)); h.u32(UInt32(r.relation))
            h.i32(Int32(r.fanout)); h.u64(r.tag.seed); h.u32(UInt32(r.tag.epoch)); h.u32(UInt32(r.tag.step)); h.u32(UInt32(r.tag.hop))
            Self.ids(r.nodes, &h)
        case .sampleReply(let s, let id, let sample):
            h.u64(s); h.u64(id); Self.ids(sample.counts, &h); Self.ids(sample.neighbours, &h); Self.floats(sample.values, &h)
        case .sampleRefused(let s, let id, let reason):
            h.u64(s); h.u64(id); h.string(reason)
        case .error(let text), .stopped(let text):
            h.string(text)
        case .serverJoin, .serverWelcome, .shardState, .stateRequest:
            encodeServerMessage(into: &h)
        case .layerTask(let t), .scoreTask(let t):
            stats = Self.encode(t, &h)
        case .activationPull(let s, let round, let layer, let type, let ids):
            h.u64(s); h.u64(round); h.u32(UInt32(layer)); h.u32(UInt32(type)); Self.ids(ids, &h)
        case .activationRows(let rows):
            stats = Self.encode(rows: rows, &h)
        case .activationPush(let s, let round, let layer, let type, let ids, let rows):
            h.u64(s); h.u64(round); h.u32(UInt32(layer)); h.u32(UInt32(type)); Self.ids(ids, &h)
            stats = Self.encode(rows: rows, &h)
        case .layerDone(let s, let round, let p):
            h.u64(s); h.u64(round); h.u32(UInt32(p))
        case .evaluationSums(let s, let round, let p, let sums):
            h.u64(s); h.u64(round); h.u32(UInt32(p)); Self.encode(sums, &h)
        }
        return (Frame(kind: kind.rawValue, header: h.bytes), stats)
    }

    static func schema(_ s: GraphSchema, _ w: inout ByteWriter) {
        w.u32(UInt32(s.nodeTypes.count))
        for t in s.nodeTypes { w.string(t.name); w.u64(UInt64(t.count)) }
        w.u32(UInt32(s.relations.count))
        for r in s.relations {
            w.string(r.name); w.u32(UInt32(r.source)); w.u32(UInt32(r.target))
            w.u32(UInt32(r.attributes.count)); for a in r.attributes { w.string(a) }
        }
        w.u32(UInt32(s.features.count))
        for f in s.features { w.string(f.name); w.u32(UInt32(f.nodeType)); w.u32(UInt32(f.width)) }
    }

    static func ints(_ values: [Int], _ w: inout ByteWriter) {
        w.u32(UInt32(values.count))
        for v in values { w.u64(UInt64(v)) }
    }

    static func floats(_ values: [Float], _ w: inout ByteWriter) {
        w.u32(UInt32(values.count))
        w.floats(values)
    }

    static func ids(_ values: [Int32], _ w: inout ByteWriter) {
        w.u32(UInt32(values.count))
        w.int32s(values)
    }
}
