import TrellisTraining

extension RunOutput {
    /// The `--output` folder, checked and ready to write; nil without the option. A folder
    /// that cannot be used is a `RunError` naming the option, raised before any data loads.
    static func open(_ path: String?) throws -> RunOutput? {
        guard let path else { return nil }
        do { return try RunOutput(directory: path) } catch { throw RunError(message: "--output \(error)") }
    }
}
