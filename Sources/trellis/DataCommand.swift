import ArgumentParser
import Foundation
import TrellisCore
import TrellisData
import TrellisTraining

extension Trellis {
    /// `trellis data`: make and prepare datasets.
    struct DataCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "data", abstract: "Make and prepare datasets.", subcommands: [Synth.self, Prepare.self, Partition.self])
    }

    /// `trellis data prepare`: a config's data, split, as binary files (`PreparedFiles`).
    struct Prepare: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Load and split a config's data once and write it as binary files that train, coordinator start and bench open without parsing text.")

        @Option(help: "Config whose data section (source and split) is prepared.")
        var config: String
        @Option(help: ArgumentHelp("Folder to write.", valueName: "dir"))
        var out: String
        @Option(help: "Overrides the config's seed (it draws the split).")
        var seed: UInt64?

        func run() throws {
            var cfg = try loadConfig(config)
            if let seed { cfg.seed = seed }
            let start = ResourceUsage.now()
            let dataset: PreparedDataset
            do {
                dataset = try PreparedDataset.load(cfg.data, seed: cfg.seed)
                try PreparedFiles.write(dataset.split, settings: cfg.data.splitSettings(seed: cfg.seed), to: out)
            } catch { throw RunError(error) }
            let s = dataset.split
            print("\(dataset.userCount) users, \(dataset.itemCount) items; train \(s.train.count), valid \(s.valid.count), test \(s.test.count) rows")
            print(String(format: "loaded, split and written in %.1f s to %@", ResourceUsage.now() - start, out))
            print("read it with data: {format: prepared, path: \(out)} and the same split keys and seed")
        }
    }

    /// `trellis data synth <kind>`: synthetic datasets with a known structure.
    struct Synth: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a synthetic dataset with the statistics of a real one and a known best RMSE.",
            subcommands: [Letterboxd.self, Retail.self])
    }

    /// `trellis data synth letterboxd`: seed 004's 17.8M-rating graph (see `LetterboxdSynth`).
    struct Letterboxd: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Letterboxd-sized ratings: 11,061 users x 142,374 movies, 17,793,097 half-star ratings at scale 1.")

        @Option(help: ArgumentHelp("Folder for letterboxd.csv, letterboxd.inter and synth.json.", valueName: "dir"))
        var out = "data/letterboxd"
        @Option(help: "Seed of every draw.")
        var seed: UInt64 = 2020
        @Option(help: ArgumentHelp("Users and movies x F, ratings x F² (the density stays); 0.05 to 4.", valueName: "F"))
        var scale = 1.0

        func validate() throws {
            guard LetterboxdSynth.scales.contains(scale) else {
                throw ValidationError("--scale \(scale): expected \(LetterboxdSynth.scales.lowerBound) to \(LetterboxdSynth.scales.upperBound)")
            }
        }

        func run() throws {
            let start = ResourceUsage.now()
            let synth = LetterboxdSynth(scale: scale, seed: seed)
            let ratings = synth.generate()
            let drawn = ResourceUsage.now() - start
            let paths: [String]
            do { paths = try RatingFiles.write(ratings, directory: out, stem: "letterboxd") } catch { throw RunError(error) }
            let seconds = ResourceUsage.now() - start
            var perMovie = [Int](repeating: 0, count: synth.movies)
            for m in ratings.movies { perMovie[Int(m)] += 1 }
            let summary: [String: Any] = [
                "seed": seed, "scale": scale, "users": synth.users, "movies": synth.movies, "ratings": ratings.users.count,
                "ratings_per_user_mean": Double(ratings.users.count) / Double(synth.users),
                "ratings_per_movie_min": perMovie.min() ?? 0, "ratings_per_movie_max": perMovie.max() ?? 0,
                "floor_rmse": ratings.floorRMSE, "global_mean_rmse": ratings.meanRMSE,
                "files": paths.map { URL(fileURLWithPath: $0).lastPathComponent },
            ]
            let json = try JSONSerialization.data(withJSONObject: summary, options: [.prettyPrinted, .sortedKeys])
            do { try json.write(to: URL(fileURLWithPath: "\(out)/synth.json"), options: .atomic) } catch { throw RunError(error) }
            print("\(synth.users) users, \(synth.movies) movies, \(ratings.users.count) ratings "
                  + "(per movie \(perMovie.min() ?? 0)-\(perMovie.max() ?? 0)); seed \(seed), scale \(scale)")
            print(String(format: "noise floor RMSE %.4f (the best any model can do), global mean RMSE %.4f", ratings.floorRMSE, ratings.meanRMSE))
            print(String(format: "drawn in %.1f s, written in %.1f s: %@ and synth.json", drawn, seconds - drawn,
                         paths.joined(separator: ", ")))
        }
    }

    /// `trellis data synth retail`: seed 003's retail + marketplace sequences (see `RetailSynth`).
    struct Retail: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Retail-sized sequences: 286,000 users, 316,000 items, 9.2 M events over two domains at scale 1.")

        @Option(help: ArgumentHelp("Folder for retail.csv, marketplace.csv, events.inter and synth.json.", valueName: "dir"))
        var out = "data/retail"
        @Option(help: "Seed of every draw.")
        var seed: UInt64 = 2020
        @Option(help: ArgumentHelp("Users, items and events x F; 0.001 to 4.", valueName: "F"))
        var scale = 1.0

        func validate() throws {
            guard RetailSynth.scales.contains(scale) else {
                throw ValidationError("--scale \(scale): expected \(RetailSynth.scales.lowerBound) to \(RetailSynth.scales.upperBound)")
            }
        }

        func run() throws {
            let start = ResourceUsage.now()
            let synth = RetailSynth(scale: scale, seed: seed)
            let events = synth.generate()
            let drawn = ResourceUsage.now() - start
            let paths: [String]
            do { paths = try EventFiles.write(events, directory: out) } catch { throw RunError(error) }
            var lengths = [Int](repeating: 0, count: synth.users)
            for u in events.users { lengths[Int(u)] += 1 }
            lengths.sort()
            let retail = events.items.reduce(0) { $0 + ($1 < Int32(events.retailItems) ? 1 : 0) }
            let summary: [String: Any] = [
                "seed": seed, "scale": scale, "users": synth.users, "items": synth.items, "events": events.users.count,
                "retail_events": retail, "marketplace_events": events.users.count - retail,
                "sequence_length_min": lengths.first ?? 0, "sequence_length_median": lengths.isEmpty ? 0 : lengths[lengths.count / 2],
                "sequence_length_max": lengths.last ?? 0, "successor_share": Double(events.successorEvents) / Double(max(1, events.users.count)),
                "files": paths.map { URL(fileURLWithPath: $0).lastPathComponent },
            ]
            let json = try JSONSerialization.data(withJSONObject: summary, options: [.prettyPrinted, .sortedKeys])
            do { try json.write(to: URL(fileURLWithPath: "\(out)/synth.json"), options: .atomic) } catch { throw RunError(error) }
            print("\(synth.users) users, \(synth.items) items, \(events.users.count) events (\(retail) retail, "
                  + "\(events.users.count - retail) marketplace); sequence length \(lengths.first ?? 0)-\(lengths.last ?? 0), "
                  + "median \(lengths.isEmpty ? 0 : lengths[lengths.count / 2]); seed \(seed), scale \(scale)")
            print(String(format: "%.1f%% of events follow their predecessor's fixed successor (the learnable sequential part)",
                         100 * Double(events.successorEvents) / Double(max(1, events.users.count))))
            print(String(format: "drawn in %.1f s, written in %.1f s: %@ and synth.json", drawn, ResourceUsage.now() - start - drawn,
                         paths.joined(separator: ", ")))
        }
    }
}
