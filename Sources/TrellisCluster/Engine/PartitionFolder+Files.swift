import Foundation
import TrellisData
import TrellisGraph
import TrellisTraining
import TrellisWire

extension PartitionFolder {
    /// Writes `plan`'s partitions (a plan built from the dataset) to `directory`.
    public static func write(_ plan: TrainingPlan, to directory: String) throws {
        guard let whole = plan.whole else { throw PlanError("a plan read from a partitioned folder cannot be written again") }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var files: [String: FileEntry] = [:]
        func put(_ name: String, _ bytes: [UInt8]) throws {
            let path = "\(directory)/\(name)"
            do { try Data(bytes).write(to: URL(fileURLWithPath: path + ".tmp")) } catch { throw DataError.unwritable(path + ".tmp", errno) }
            guard rename(path + ".tmp", path) == 0 else { throw DataError.unwritable(path, errno) }
            files[name] = FileEntry(bytes: bytes.count, crc32: CRC32.checksum(bytes))
        }
        var book = ByteWriter()
        book.u32(UInt32(plan.book.owners.count))
        for owners in plan.book.owners { book.u32(UInt32(owners.count)); for o in owners { book.u16(o) } }
        try put("book.bin", book.bytes)
        var tables = ByteWriter()
        tables.u32(UInt32(plan.featureValues.count))
        for values in plan.featureValues { tables.u32(UInt32(values.count)); tables.floats(values) }
        tables.u32(UInt32(plan.pretrained.count))
        for p in plan.pretrained {
            tables.u32(UInt32(p.nodeType)); tables.string(p.path); tables.u32(UInt32(p.unknown))
            tables.u32(UInt32(p.rows.count)); tables.int32s(p.rows); tables.floats(p.values)
        }
        try put("tables.bin", tables.bytes)
        for p in 0..<plan.config.cluster.partitions {
            try put(partFile(p), Message.assignment(whole.assignment(session: 0, owned: [p], held: [p], plan: plan)).frame().frame.encode())
        }
        let manifest = Manifest(
            format: format, version: version, settings: settings(of: plan.config), dataset: plan.datasetName,
            users: plan.schema.nodeCounts[GraphTopology.user], items: plan.schema.nodeCounts[GraphTopology.item], train: plan.trainCount,
            hasValidation: plan.hasValidation, ratingMean: plan.ratingMean, ratingScale: plan.ratingScale.map { [$0.lowerBound, $0.upperBound] },
            exampleCounts: plan.exampleCounts, schema: plan.schema, report: plan.report, files: files)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try put(manifestName, Array(try encoder.encode(manifest)))
    }

    /// What `open` read: the folder, the partition book, the frozen feature tables' values
    /// (in schema order) and the pretrained rows.
    public struct Contents {
        public var folder: PartitionFolder
        public var book: PartitionBook
        public var featureValues: [[Float]]
        public var pretrained: [TrainingPlan.PretrainedRows]
    }

    /// Opens `directory` for `config`, refusing a folder written for other settings or that
    /// does not match its manifest.
    public static func open(_ directory: String, config: TrainingConfig) throws -> Contents {
        let manifestPath = "\(directory)/\(manifestName)"
        func fail(_ field: String, _ expected: String, _ found: String) -> DataError {
            DataError(kind: .invalidValue, file: manifestPath, line: 0, field: field, expected: expected, found: found)
        }
        guard FileManager.default.fileExists(atPath: manifestPath) else { throw DataError.missingFile(manifestPath) }
        let manifest: Manifest
        do {
            manifest = try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: URL(fileURLWithPath: manifestPath)))
        } catch {
            throw fail("format", "a \(format) version \(version) manifest (write it with trellis data partition)", "\(error)")
        }
        guard manifest.format == format, manifest.version == version else {
            throw fail("format", "\(format) version \(version)", "\(manifest.format) version \(manifest.version)")
        }
        let settings = settings(of: config)
        guard manifest.settings == settings else {
            let differing = Set(settings).symmetricDifference(manifest.settings).sorted()
            throw fail("settings", "a folder written for this config's partitions (differing: \(differing.joined(separator: ", "))); "
                       + "write it again with trellis data partition", "other settings")
        }
        let schema = manifest.schema
        do { try schema.validate() } catch { throw fail("schema", "a valid graph schema", "\(error)") }
        let partitions = config.cluster.partitions
        guard manifest.exampleCounts.count == partitions, manifest.exampleCounts.allSatisfy({ $0 >= 0 }),
              schema.nodeTypes.count > GraphTopology.item, manifest.ratingMean.isFinite,
              manifest.ratingScale.map({ $0.count == 2 && $0[0] <= $0[1] }) ?? true else {
            throw fail("example_counts", "\(partitions) counts, user and item node types, a finite rating mean and scale", "others")
        }
        var limits = WireLimits()
        limits.partitionCount = partitions
        limits.relationCount = schema.relations.count
        limits.nodeCounts = schema.nodeCounts
        let folder = PartitionFolder(path: directory, manifest: manifest, limits: limits)

        var r = ByteReader(try folder.read("book.bin"))
        let types = try r.count("book.types", max: schema.nodeTypes.count)
        guard types == schema.nodeTypes.count else { throw folder.fail("book.bin", "types", "\(schema.nodeTypes.count)", "\(types)") }
        var owners: [[UInt16]] = []
        for (t, type) in schema.nodeTypes.enumerated() {
            let n = try r.count("book.owners[\(t)]", max: type.count)
            guard n == type.count else { throw folder.fail("book.bin", "owners[\(t)]", "\(type.count) owners", "\(n)") }
            let list = try (0..<n).map { _ in try r.u16("book.owners[\(t)]") }
            guard list.allSatisfy({ Int($0) < partitions }) else { throw folder.fail("book.bin", "owners[\(t)]", "partitions below \(partitions)", "more") }
            owners.append(list)
        }
        try r.expectEnd("book")
        let book = PartitionBook(partitionCount: partitions, owners: owners)

        r = ByteReader(try folder.read("tables.bin"))
        let featureCount = try r.count("tables.features", max: schema.features.count)
        guard featureCount == schema.features.count else { throw folder.fail("tables.bin", "features", "\(schema.features.count)", "\(featureCount)") }
        let featureValues = try schema.features.map { f -> [Float] in
            let n = schema.nodeTypes[f.nodeType].count * f.width
            guard try r.count("tables.features.\(f.name)", max: n) == n else { throw folder.fail("tables.bin", f.name, "\(n) values", "others") }
            return try r.floats("tables.features.\(f.name)", count: n)
        }
        let pretrainedCount = try r.count("tables.pretrained", max: schema.nodeTypes.count)
        let d = config.model.embeddingSize
        let pretrained = try (0..<pretrainedCount).map { k -> TrainingPlan.PretrainedRows in
            let type = Int(try r.u32("tables.pretrained[\(k)].type"))
            guard type < schema.nodeTypes.count else { throw folder.fail("tables.bin", "pretrained[\(k)].type", "a node type", "\(type)") }
            let path = try r.readString("tables.pretrained[\(k)].path", maxBytes: 4096)
            let unknown = Int(try r.u32("tables.pretrained[\(k)].unknown"))
            let n = try r.count("tables.pretrained[\(k)].rows", max: schema.nodeTypes[type].count)
            let rows = try r.int32s("tables.pretrained[\(k)].rows", count: n)
            guard rows.allSatisfy({ $0 >= 0 && Int($0) < schema.nodeTypes[type].count }) else {
                throw folder.fail("tables.bin", "pretrained[\(k)].rows", "rows below \(schema.nodeTypes[type].count)", "others")
            }
            let values = try r.floats("tables.pretrained[\(k)].values", count: n * d)
            return TrainingPlan.PretrainedRows(nodeType: type, path: path, rows: rows, values: values, unknown: unknown)
        }
        try r.expectEnd("tables")
        // Every part's size and checksum before the run starts: a changed file fails the start,
        // not a worker's join. (The worker decodes its part against the run's shapes.)
        for p in 0..<partitions { try folder.check(partFile(p)) }
        return Contents(folder: folder, book: book, featureValues: featureValues, pretrained: pretrained)
    }
}
