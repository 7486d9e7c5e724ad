import Foundation

/// A split dataset as binary files that open without parsing text: one folder with
///
///     manifest.json                format, version, the split's defining settings, counts, and
///                                  every file's size and FNV-1a 64 checksum
///     user_ids.txt, item_ids.txt   raw ids, one per line, in internal-id order
///     <part>.users.i32, <part>.items.i32, <part>.ratings.f32, <part>.timestamps.f64
///                                  each part's rows (train, valid, test), little-endian
///
/// Reading checks the manifest, then every file's size and checksum, before it builds
/// anything; a folder that does not match its manifest is refused with the file and what
/// differs. Files are written to `.tmp` and renamed, the manifest last.
public enum PreparedFiles {
    public static let format = "trellis-prepared", version = 1
    static let parts = ["train", "valid", "test"]

    /// Writes `split` to `directory`; `settings` are the `key=value` lines that decided the
    /// split (checked again when the folder is read).
    public static func write(_ split: DatasetSplit, settings: [String], to directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var files: [String: Any] = [:]
        func put(_ name: String, _ bytes: Data) throws {
            let path = "\(directory)/\(name)"
            do { try bytes.write(to: URL(fileURLWithPath: path + ".tmp")) } catch { throw DataError.unwritable(path + ".tmp", errno) }
            guard rename(path + ".tmp", path) == 0 else { throw DataError.unwritable(path, errno) }
            files[name] = ["bytes": bytes.count, "fnv64": hex(fnv64(bytes))]
        }
        try put("user_ids.txt", Data((split.train.userIDs.raws.joined(separator: "\n") + "\n").utf8))
        try put("item_ids.txt", Data((split.train.itemIDs.raws.joined(separator: "\n") + "\n").utf8))
        var rows: [String: Int] = [:]
        for (name, t) in zip(parts, [split.train, split.valid, split.test]) {
            try put("\(name).users.i32", raw(t.users))
            try put("\(name).items.i32", raw(t.items))
            try put("\(name).ratings.f32", raw(t.ratings))
            try put("\(name).timestamps.f64", raw(t.timestamps))
            rows[name] = t.count
        }
        let manifest: [String: Any] = ["format": format, "version": version, "settings": settings, "rows": rows,
                                       "users": split.train.userCount, "items": split.train.itemCount, "files": files]
        try put("manifest.json", try JSONSerialization.data(withJSONObject: manifest, options: [.prettyPrinted, .sortedKeys]))
    }

    /// Reads the split in `directory`, refusing it unless it was split with `settings`.
    public static func read(_ directory: String, settings: [String]) throws -> DatasetSplit {
        let manifestPath = "\(directory)/manifest.json"
        func fail(_ file: String, _ field: String, _ expected: String, _ found: String) -> DataError {
            DataError(kind: .invalidValue, file: file, line: 0, field: field, expected: expected, found: found)
        }
        guard FileManager.default.fileExists(atPath: manifestPath) else { throw DataError.missingFile(manifestPath) }
        guard let manifest = (try? JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: manifestPath)))) as? [String: Any],
              manifest["format"] as? String == format, manifest["version"] as? Int == version,
              let files = manifest["files"] as? [String: [String: Any]], let rows = manifest["rows"] as? [String: Int],
              let users = manifest["users"] as? Int, let items = manifest["items"] as? Int,
              let written = manifest["settings"] as? [String] else {
            throw fail(manifestPath, "format", "a \(format) version \(version) manifest (write it with trellis data prepare)", "something else")
        }
        guard written == settings else {
            let differing = Set(settings).symmetricDifference(written).sorted()
            throw fail(manifestPath, "settings", "the data split of this config: \(settings.joined(separator: ", "))",
                       "a folder split with other settings (differing: \(differing.joined(separator: ", "))); prepare it again")
        }
        // Every file against the manifest before anything is built.
        var contents: [String: Data] = [:]
        for name in ["user_ids.txt", "item_ids.txt"] + parts.flatMap({ p in ["users.i32", "items.i32", "ratings.f32", "timestamps.f64"].map { "\(p).\($0)" } }) {
            let path = "\(directory)/\(name)"
            guard let entry = files[name], let size = entry["bytes"] as? Int, let sum = entry["fnv64"] as? String else {
                throw fail(manifestPath, "files.\(name)", "a size and a checksum", "none")
            }
            guard FileManager.default.fileExists(atPath: path) else { throw DataError.missingFile(path) }
            let data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
            guard data.count == size else { throw fail(path, "bytes", "\(size) bytes (the manifest's)", "\(data.count) bytes") }
            guard hex(fnv64(data)) == sum else { throw fail(path, "fnv64", "checksum \(sum) (the manifest's)", "\(hex(fnv64(data))): the file changed") }
            contents[name] = data
        }
        let userIDs = IDMap(lines(contents["user_ids.txt"]!)), itemIDs = IDMap(lines(contents["item_ids.txt"]!))
        guard userIDs.count == users, itemIDs.count == items else {
            throw fail(manifestPath, "users/items", "\(users) users and \(items) items", "\(userIDs.count) and \(itemIDs.count) ids")
        }
        let tables = try parts.map { p -> InteractionTable in
            let n = rows[p] ?? -1
            let t = InteractionTable(users: values(contents["\(p).users.i32"]!), items: values(contents["\(p).items.i32"]!),
                                     ratings: values(contents["\(p).ratings.f32"]!), timestamps: values(contents["\(p).timestamps.f64"]!),
                                     userIDs: userIDs, itemIDs: itemIDs)
            guard t.count == n, t.users.allSatisfy({ $0 >= 0 && Int($0) < users }), t.items.allSatisfy({ $0 >= 0 && Int($0) < items }),
                  t.ratings.allSatisfy(\.isFinite) else {
                throw fail("\(directory)/\(p).*", "rows", "\(n) rows of ids below \(users) users and \(items) items, finite ratings", "others")
            }
            return t
        }
        return DatasetSplit(train: tables[0], valid: tables[1], test: tables[2])
    }

    // MARK: Bytes

    static func raw<T>(_ values: [T]) -> Data { values.withUnsafeBufferPointer { Data(buffer: $0) } }

    /// The file's values; a length that is not a whole number of values reads as fewer (the
    /// row count check catches it).
    static func values<T>(_ data: Data) -> [T] {
        data.withUnsafeBytes { raw in Array(raw.bindMemory(to: T.self).prefix(data.count / MemoryLayout<T>.stride)) }
    }

    static func lines(_ data: Data) -> [String] {
        String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
    }

    /// FNV-1a 64 over the bytes, eight at a time (then the tail byte by byte): a checksum
    /// against torn or swapped files, not against tampering.
    static func fnv64(_ data: Data) -> UInt64 {
        data.withUnsafeBytes { raw in
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            let words = raw.count / 8
            for k in 0..<words { hash = (hash ^ raw.loadUnaligned(fromByteOffset: k * 8, as: UInt64.self)) &* 0x0000_0100_0000_01b3 }
            for k in (words * 8)..<raw.count { hash = (hash ^ UInt64(raw[k])) &* 0x0000_0100_0000_01b3 }
            return hash
        }
    }

    static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
