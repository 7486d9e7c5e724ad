import Foundation
import XCTest

/// `trellis export` and `trellis recommend` on a checkpointed GraphSAGE run, checked from
/// outside: NumPy loads what export wrote, and recommend agrees with a ranking NumPy computes
/// from the exported outputs.
final class ServingCommandTests: XCTestCase {
    /// A trained run: its folder, config, checkpoint folder and data file.
    struct TrainedRun {
        let dir: URL
        let config: String
        let checkpoints: String
        let data: String
    }

    /// 60 users in 3 taste groups over 45 items (13 interactions each), raw user ids "u1"…,
    /// item ids 101…; two epochs of sage (2 layers) checkpointed.
    private func trainedRun() throws -> TrainedRun {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("trellis-serve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        var lines: [String] = []
        for user in 1...60 {
            let group = user % 3
            let items = Set((0..<10).map { group * 15 + (user * 7 + $0 * 3) % 15 } + (0..<3).map { (user * 11 + $0 * 17) % 45 })
            for (k, item) in items.sorted().enumerated() { lines.append("u\(user)\t\(101 + item)\t4\t\(880_000_000 + user * 100 + k)") }
        }
        let data = dir.appendingPathComponent("u.data").path
        try (lines.joined(separator: "\n") + "\n").write(toFile: data, atomically: true, encoding: .utf8)
        let config = dir.appendingPathComponent("sage.yaml").path
        try """
        seed: 3
        model: {kind: sage, aggregator: mean, embedding_size: 8, layers: 2, fanouts: [5, 5]}
        data: {name: tiny, path: \(data), split: ratio, ratios: [0.8, 0.1, 0.1]}
        training: {epochs: 2, batch_size: 64, learning_rate: 0.01, threads: 1}
        evaluation: {topk: [10], valid_metric: ndcg@10}
        cluster: {partitions: 2, prefetch: false}
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let checkpoints = dir.appendingPathComponent("ckpt").path
        let (status, log) = try Harness.run(["train", "--config", config, "--checkpoint-dir", checkpoints])
        XCTAssertEqual(status, 0, log)
        return TrainedRun(dir: dir, config: config, checkpoints: checkpoints, data: data)
    }

    /// Runs `python3 -c script` with `arguments`; returns its standard output (fails the test on a non-zero exit).
    private func python(_ script: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script] + arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let errors = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "python3 failed:\n\(errors)")
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// npy export: NumPy loads every array without pickle; row counts are the data's distinct
    /// users and items, the id arrays hold exactly the data's raw ids (row k in ids.txt line k),
    /// and the outputs of a message-passing model differ from its tables.
    func testNpyExportLoadsInNumPyWithTheDataIds() throws {
        let run = try trainedRun()
        let out = run.dir.appendingPathComponent("export-npy").path
        let (status, log) = try Harness.run(["export", "--checkpoint", run.checkpoints, "--config", run.config, "--format", "npy", "--output", out])
        XCTAssertEqual(status, 0, log)
        let check = """
        import json, sys, numpy as np
        out, data = sys.argv[1], sys.argv[2]
        rows = [l.split('\\t') for l in open(data) if l.strip()]
        users, items = {r[0] for r in rows}, {r[1] for r in rows}
        res = {}
        for t, raw in (('user', users), ('item', items)):
            ids = np.load(f'{out}/{t}.ids.npy', allow_pickle=False)
            txt = open(f'{out}/{t}.ids.txt').read().split('\\n')[:-1]
            emb = np.load(f'{out}/{t}.embedding.npy', allow_pickle=False)
            outp = np.load(f'{out}/{t}.output.npy', allow_pickle=False)
            assert list(ids) == txt, 'ids.npy and ids.txt differ'
            assert set(txt) == raw and len(txt) == len(raw), 'ids are not the data raw ids'
            assert emb.dtype == np.float32 and emb.shape == (len(raw), 8), emb.shape
            assert outp.shape == emb.shape and np.isfinite(outp).all()
            res[t] = [emb.shape[0], bool(np.abs(outp - emb).max() > 1e-3)]
        manifest = json.load(open(f'{out}/export.json'))
        res['arrays'] = [a['name'] for a in manifest['arrays']]
        print(json.dumps(res, sort_keys=True))
        """
        let rows = try String(contentsOfFile: run.data, encoding: .utf8).split(separator: "\n").map { $0.split(separator: "\t") }
        let (users, items) = (Set(rows.map { $0[0] }).count, Set(rows.map { $0[1] }).count)
        XCTAssertEqual(users, 60)
        let result = try python(check, [out, run.data])
        XCTAssertEqual(result, #"{"arrays": ["user.embedding", "item.embedding", "user.output", "item.output"], "item": [\#(items), true], "user": [60, true]}"#)
    }

    /// safetensors export: the same numbers as the npy export, read with json + numpy.frombuffer.
    func testSafetensorsExportHoldsTheSameArrays() throws {
        let run = try trainedRun()
        let st = run.dir.appendingPathComponent("export-st").path, npy = run.dir.appendingPathComponent("export-npy").path
        for (format, out) in [("safetensors", st), ("npy", npy)] {
            let (status, log) = try Harness.run(["export", "--checkpoint", run.checkpoints, "--config", run.config, "--format", format, "--output", out])
            XCTAssertEqual(status, 0, log)
        }
        let check = """
        import json, struct, sys, numpy as np
        st, npy = sys.argv[1], sys.argv[2]
        raw = open(f'{st}/embeddings.safetensors', 'rb').read()
        n = struct.unpack('<Q', raw[:8])[0]
        header = json.loads(raw[8:8 + n])
        names = sorted(k for k in header if k != '__metadata__')
        for name in names:
            h = header[name]; a, b = h['data_offsets']
            t = np.frombuffer(raw[8 + n + a:8 + n + b], dtype='<f4').reshape(h['shape'])
            assert h['dtype'] == 'F32' and np.array_equal(t, np.load(f'{npy}/{name}.npy')), name
        print(' '.join(names), header['__metadata__']['run.id'] == json.load(open(f'{npy}/export.json'))['run_id'])
        """
        XCTAssertEqual(try python(check, [st, npy]), "item.embedding item.output user.embedding user.output True")

        // Exporting over an earlier export replaces it: no .npy file of the npy export is left.
        let (status, log) = try Harness.run(["export", "--checkpoint", run.checkpoints, "--config", run.config, "--format", "safetensors", "--output", npy])
        XCTAssertEqual(status, 0, log)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: npy).sorted(),
                       ["embeddings.safetensors", "export.json", "item.ids.txt", "user.ids.txt"])
    }

    /// recommend --exclude all skips every item of the user in the data and ranks as NumPy does
    /// from the exported outputs (dot products; scores within float rounding).
    func testRecommendAgreesWithTheExportedOutputsAndSkipsSeenItems() throws {
        let run = try trainedRun()
        let out = run.dir.appendingPathComponent("export").path
        XCTAssertEqual(try Harness.run(["export", "--checkpoint", run.checkpoints, "--config", run.config, "--format", "npy", "--output", out]).status, 0)
        for user in ["u5", "u42"] {
            let (status, log) = try Harness.run(["recommend", "--checkpoint", run.checkpoints, "--config", run.config, "--user", user,
                                                 "--k", "7", "--exclude", "all"])
            XCTAssertEqual(status, 0, log)
            let printed = log.split(separator: "\n").compactMap { line -> (String, Double)? in
                let f = line.split(separator: " ", omittingEmptySubsequences: true)
                guard f.count == 3, Int(f[0]) != nil, let score = Double(f[2]) else { return nil }
                return (String(f[1]), score)
            }
            XCTAssertEqual(printed.count, 7, log)
            let seen = Set(try String(contentsOfFile: run.data, encoding: .utf8).split(separator: "\n")
                .map { $0.split(separator: "\t") }.filter { $0[0] == user }.map { String($0[1]) })
            XCTAssertTrue(printed.allSatisfy { !seen.contains($0.0) }, "recommended a seen item: \(printed) of \(seen)")
            let rank = """
            import sys, numpy as np
            out, user, seen = sys.argv[1], sys.argv[2], set(sys.argv[3].split(','))
            uids, iids = list(np.load(f'{out}/user.ids.npy')), list(np.load(f'{out}/item.ids.npy'))
            s = np.load(f'{out}/item.output.npy').astype(np.float64) @ np.load(f'{out}/user.output.npy')[uids.index(user)].astype(np.float64)
            order = [k for k in np.argsort(-s, kind='stable') if iids[k] not in seen][:7]
            print(' '.join(f'{iids[k]}:{s[k]:.6f}' for k in order))
            """
            let expected = try python(rank, [out, user, seen.sorted().joined(separator: ",")]).split(separator: " ").map { pair in
                let p = pair.split(separator: ":")
                return (String(p[0]), Double(p[1])!)
            }
            // --item: the third recommendation stands third; a seen item is excluded.
            let third = try Harness.run(["recommend", "--checkpoint", run.checkpoints, "--config", run.config, "--user", user,
                                         "--exclude", "all", "--item", printed[2].0, "--item", seen.sorted()[0]])
            XCTAssertEqual(third.status, 0, third.output)
            XCTAssertTrue(third.output.contains("item \(printed[2].0): score \(String(format: "%.6f", printed[2].1)), rank 3 of"), third.output)
            XCTAssertTrue(third.output.contains("item \(seen.sorted()[0]): score"), third.output)
            XCTAssertTrue(third.output.contains("excluded (the user has it)"), third.output)
            for ((item, score), (wantItem, wantScore)) in zip(printed, expected) {
                XCTAssertEqual(score, wantScore, accuracy: 1e-4, "\(user): \(printed) vs \(expected)")
                // Only a near-tie may order two items differently.
                if item != wantItem { XCTAssertEqual(score, wantScore, accuracy: 1e-5, "\(user): \(printed) vs \(expected)") }
            }
        }
    }

    /// Bad inputs: each a clear error and exit 1, and export changes nothing before it fails.
    func testBadInputsFailClearly() throws {
        let run = try trainedRun()
        let base = ["--checkpoint", run.checkpoints, "--config", run.config]
        let cases: [([String], String)] = [
            (["recommend"] + base + ["--user", "nobody"], "user \"nobody\": not in"),
            (["recommend", "--checkpoint", run.dir.appendingPathComponent("missing").path, "--config", run.config, "--user", "u5"], "no such folder"),
            (["recommend", "--checkpoint", run.dir.path, "--config", run.config, "--user", "u5"], "holds no checkpoint"),
            (["recommend"] + base + ["--user", "u5", "--seed", "4"], "seed 3 vs 4"),
            (["recommend"] + base + ["--user", "u5", "--k", "0"], "--k must be at least 1"),
            (["recommend"] + base + ["--user", "u5", "--item", "101", "--item", "nothing"], "item \"nothing\": not in"),
            (["export"] + base + ["--output", run.config], "exists and is not a folder"),
            (["export"] + base + ["--output", run.dir.path], "a folder holding other files"),
            (["export"] + base + ["--format", "csv", "--output", run.dir.appendingPathComponent("x").path], "format"),
        ]
        for (arguments, expected) in cases {
            let (status, output) = try Harness.run(arguments)
            XCTAssertNotEqual(status, 0, "\(arguments) succeeded:\n\(output)")
            XCTAssertTrue(output.contains(expected), "\(arguments): expected '\(expected)' in:\n\(output)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: run.dir.appendingPathComponent("x").path))
    }
}
