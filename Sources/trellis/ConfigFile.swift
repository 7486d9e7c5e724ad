import TrellisCluster
import TrellisTraining

/// Reads the config at `path` and has the model registry check its `model:` keys, so a bad
/// key fails naming the file before anything loads.
func loadConfig(_ path: String) throws -> TrainingConfig {
    do {
        let config = try TrainingConfig.load(path: path)
        _ = try ModelRegistry.entry(for: config, file: path)
        return config
    } catch { throw RunError(error) }
}
