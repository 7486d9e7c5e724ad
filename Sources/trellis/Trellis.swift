import ArgumentParser
import Foundation
import TrellisTensor

/// `trellis`: train graph and sequential recommenders.
@main
struct Trellis: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trellis",
        abstract: "Train graph and sequential recommenders, in one process or across many.",
        subcommands: [Train.self, Coordinator.self, Worker.self, Server.self, Export.self, Recommend.self, Report.self, Keygen.self,
                      Bench.self, BenchWire.self, BenchEvaluation.self, BenchPartition.self, DataCommand.self]
    )

    /// Line-buffers standard output so progress (stderr) and results (stdout) interleave in
    /// order when both go to one log file.
    static func main() {
        chooseBLASKernels()
        setvbuf(stdout, nil, _IOLBF, 0)
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            exit(withError: error)
        }
    }
}

/// OpenBLAS picks its kernels when it loads, from the CPU model; where that fell back to
/// slower ones than the CPU's flags allow (`BLAS.betterCoreType`), the process runs itself
/// again with `OPENBLAS_CORETYPE` set. A value the user set is left alone.
func chooseBLASKernels() {
    guard ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == nil, let core = BLAS.betterCoreType() else { return }
    setenv("OPENBLAS_CORETYPE", core, 1)
    execv("/proc/self/exe", CommandLine.unsafeArgv)
    // execv returns only on failure: run on with the kernels OpenBLAS chose.
}
