import Foundation

/// Writes drawn events as seed 003's users have them: one CSV per domain
/// (`retail.csv`, `marketplace.csv`: `user_id,item_id,timestamp`, ids from 1) and all of them
/// as one RecBole atomic file (`events.inter`), in user and time order, each a `RowFile`; the
/// three are written on parallel threads.
public enum EventFiles {
    public static func write(_ e: RetailSynth.Events, directory: String) throws -> [String] {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let retail = Int32(e.retailItems)
        let files: [(name: String, header: String, separator: UInt8, keep: (Int32) -> Bool)] = [
            ("retail.csv", "user_id,item_id,timestamp\n", UInt8(ascii: ","), { $0 < retail }),
            ("marketplace.csv", "user_id,item_id,timestamp\n", UInt8(ascii: ","), { $0 >= retail }),
            ("events.inter", "user_id:token\titem_id:token\ttimestamp:float\n", UInt8(ascii: "\t"), { _ in true }),
        ]
        var errors = [Error?](repeating: nil, count: files.count)
        DispatchQueue.concurrentPerform(iterations: files.count) { k in
            let f = files[k]
            do { try write(e, to: "\(directory)/\(f.name)", header: f.header, separator: f.separator, keep: f.keep) } catch { errors[k] = error }
        }
        if let error = errors.compactMap({ $0 }).first { throw error }
        return files.map { "\(directory)/\($0.name)" }
    }

    static func write(_ e: RetailSynth.Events, to path: String, header: String, separator: UInt8, keep: (Int32) -> Bool) throws {
        var out = try RowFile(path: path, header: header)
        for k in 0..<e.users.count where keep(e.items[k]) {
            out.number(Int64(e.users[k]) + 1); out.byte(separator)
            out.number(Int64(e.items[k]) + 1); out.byte(separator)
            out.number(e.timestamps[k])
            try out.endRow()
        }
        try out.finish()
    }
}
