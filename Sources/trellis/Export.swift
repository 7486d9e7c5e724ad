import ArgumentParser
import Foundation
import TrellisCluster

extension TrainedModel.ExportFormat: ExpressibleByArgument {}

extension Trellis {
    /// `trellis export`: a trained run's embeddings, outputs and id maps as files.
    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a trained run's embedding tables, final-layer outputs and id maps (safetensors or npy).")

        @OptionGroup var model: TrainedModelOptions

        @Option(name: .long, help: "safetensors (one embeddings.safetensors) or npy (one .npy per array).")
        var format: TrainedModel.ExportFormat = .safetensors

        @Option(name: .long, help: "Folder to write (absent, empty, or an earlier export).")
        var output: String

        func run() throws {
            do { try TrainedModel.prepareExportDirectory(output) } catch { throw RunError(error) }
            let trained = try model.load()
            let files: [String]
            do { files = try trained.export(to: output, format: format) } catch { throw RunError(error) }
            print("read \(trained.checkpointPath) (run \(trained.run.identity.runID), best epoch \(trained.bestEpoch))")
            for (name, tensor) in trained.exportedArrays { print("  \(name)  \(tensor.shape.map(String.init).joined(separator: " x "))") }
            print("wrote \(files.count) files to \(output): \(files.joined(separator: ", "))")
        }
    }
}
