import Foundation
import TrellisCheckpoint
import TrellisTensor

/// Writing a trained model's tables, outputs and id maps to a folder:
///
///     safetensors   embeddings.safetensors     <type>.embedding (count_t, d) F32 per node type,
///                                              <type>.output    (count_t, d) F32 with message passing
///     npy           <type>.embedding.npy, <type>.output.npy   (<f4, (count_t, d))
///                   <type>.ids.npy             raw ids, row order (<U<n>)
///     both          <type>.ids.txt             raw ids, one a line: line k names row k
///                   export.json                what was written, from which checkpoint and run,
///                                              and how the run scores a (user, item) pair
///
/// `<type>.embedding` is the row the model reads for a node: its learned embedding, plus its
/// projected features when the run has feature tables (`InputLayer`).
/// Every file goes through `AtomicFile` (temp file, fsync, rename); `export.json` is last.
extension TrainedModel {
    /// `safetensors` or `npy`.
    public enum ExportFormat: String, CaseIterable, Sendable {
        case safetensors, npy
    }

    /// The named arrays to export, in node-type order: tables, then outputs with message passing.
    public var exportedArrays: [(name: String, tensor: Tensor)] {
        var arrays = zip(nodeTypes, tables).map { (name: "\($0).embedding", tensor: $1) }
        if hasMessagePassing { arrays += zip(nodeTypes, outputs).map { (name: "\($0).output", tensor: $1) } }
        return arrays
    }

    /// Checks that `directory` can take an export (absent, empty, or an earlier export),
    /// creating it if need be. Call before the model is loaded.
    public static func prepareExportDirectory(_ directory: String) throws {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        if fm.fileExists(atPath: directory, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw ServingError("--output \(directory): exists and is not a folder") }
            let entries = (try? fm.contentsOfDirectory(atPath: directory)) ?? []
            guard entries.isEmpty || entries.contains("export.json") else {
                throw ServingError("--output \(directory): a folder holding other files (\(entries.sorted().prefix(3).joined(separator: ", "))); "
                                   + "expected an empty folder or an earlier export (with export.json)")
            }
        } else {
            do { try fm.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
                throw ServingError("--output \(directory): cannot create the folder (\(error.localizedDescription))")
            }
        }
        guard fm.isWritableFile(atPath: directory) else { throw ServingError("--output \(directory): not writable") }
    }

    /// Writes the export to `directory` (see `prepareExportDirectory`); returns the file names written.
    @discardableResult
    public func export(to directory: String, format: ExportFormat) throws -> [String] {
        var files: [(String, [UInt8])] = []
        let arrays = exportedArrays
        switch format {
        case .safetensors:
            let entries = arrays.map { SafeTensorsEntry(name: $0.name, tensor: $0.tensor) }
            files.append(("embeddings.safetensors", SafeTensors.encode(entries: entries, metadata: ["run.id": run.identity.runID,
                                                                                                    "run.fingerprint": run.identity.fingerprint])))
        case .npy:
            files += arrays.map { ("\($0.name).npy", NPY.float32(shape: $0.tensor.shape, values: $0.tensor.data)) }
        }
        var idFiles: [String: Any] = [:]
        for t in nodeTypes.indices {
            guard let ids = rawIDs(nodeType: t) else { continue }
            guard ids.count == tables[t].shape[0] else {
                throw ServingError("\(nodeTypes[t]): \(ids.count) raw ids for a table of \(tables[t].shape[0]) rows (the data changed since training?)")
            }
            files.append(("\(nodeTypes[t]).ids.txt", Array((ids.joined(separator: "\n") + "\n").utf8)))
            if format == .npy { files.append(("\(nodeTypes[t]).ids.npy", NPY.strings(ids))) }
            idFiles[nodeTypes[t]] = format == .npy ? ["\(nodeTypes[t]).ids.txt", "\(nodeTypes[t]).ids.npy"] : ["\(nodeTypes[t]).ids.txt"]
        }
        files.append(("export.json", try manifest(format: format, arrays: arrays, idFiles: idFiles, files: files.map(\.0))))
        let earlier = Self.earlierExportFiles(in: directory)
        for (name, bytes) in files { try AtomicFile.write(bytes, to: (directory as NSString).appendingPathComponent(name)) }
        // An earlier export in another format leaves no files behind that this one did not write.
        for name in earlier.subtracting(files.map(\.0)) {
            try? FileManager.default.removeItem(atPath: (directory as NSString).appendingPathComponent(name))
        }
        return files.map(\.0)
    }

    /// The plain file names an earlier export.json in `directory` lists (none if there is none).
    static func earlierExportFiles(in directory: String) -> Set<String> {
        let path = (directory as NSString).appendingPathComponent("export.json")
        guard let data = FileManager.default.contents(atPath: path),
              let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
              let names = object["files"] as? [String] else { return [] }
        return Set(names.filter { !$0.isEmpty && !$0.contains("/") && $0 != "." && $0 != ".." })
    }

    /// export.json: the run, the checkpoint, every array's name and shape, the id files, the scoring rule.
    private func manifest(format: ExportFormat, arrays: [(name: String, tensor: Tensor)], idFiles: [String: Any],
                          files: [String]) throws -> [UInt8] {
        let scoring = config.task.kind == .rating
            ? "rating_mean + the model's pair head on (user.output[u], item.output[i]); not reproducible from these arrays alone"
            : "dot(\(hasMessagePassing ? "user.output" : "user.embedding")[u], \(hasMessagePassing ? "item.output" : "item.embedding")[i])"
        var object: [String: Any] = [
            "format": format.rawValue, "model": config.model.kind, "task": config.task.kind.rawValue,
            "dataset": dataset.name, "data_path": config.data.path, "seed": NSNumber(value: config.seed),
            "run_id": run.identity.runID, "fingerprint": run.identity.fingerprint,
            "checkpoint": checkpointPath, "best_epoch": bestEpoch, "weights": "best (what the run's test evaluated)",
            "arrays": arrays.map { ["name": $0.name, "shape": $0.tensor.shape, "dtype": "float32"] as [String: Any] },
            "ids": idFiles, "scoring": scoring, "files": files,
        ]
        if config.task.kind == .rating { object["rating_mean"] = Double(run.plan.ratingMean) }
        return Array(try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]))
    }
}
