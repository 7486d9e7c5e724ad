import TrellisCore
import TrellisTraining

/// The coordinator's state in Prometheus' text exposition format, for `--metrics-listen`:
/// where the run stands, its last epoch's loss, time and validation metrics, the members, and
/// the bytes on the coordinator's socket.
extension CoordinatorNode {
    func metricsText() -> String {
        var lines: [String] = []
        func metric(_ name: String, _ type: String, _ help: String, _ samples: [(labels: String, value: Double)]) {
            lines.append("# HELP trellis_\(name) \(help)")
            lines.append("# TYPE trellis_\(name) \(type)")
            for s in samples { lines.append("trellis_\(name)\(s.labels.isEmpty ? "" : "{\(s.labels)}") \(s.value)") }
        }
        let last = run.records.last
        metric("epoch", "gauge", "Epoch being trained (from 1).", [("", Double(run.position.epoch))])
        metric("global_step", "gauge", "Global steps applied so far.", [("", Double(run.globalStep))])
        metric("steps_per_epoch", "gauge", "Global steps in an epoch.", [("", Double(run.stepsPerEpoch))])
        metric("epochs_configured", "gauge", "training.epochs of the run.", [("", Double(run.config.training.epochs))])
        metric("workers", "gauge", "Workers holding a session now.", [("", Double(role.memberCount))])
        metric("finished", "gauge", "1 once early stopping fired or the last epoch was evaluated.", [("", run.finished ? 1 : 0)])
        if let last {
            metric("epoch_loss", "gauge", "Mean training loss of the last finished epoch.", [("", last.loss)])
            metric("epoch_seconds", "gauge", "Training seconds of the last finished epoch.", [("", last.trainSeconds)])
        }
        if let valid = run.records.last(where: { $0.split == "valid" }) {
            metric("valid_metric", "gauge", "Validation metrics of the last evaluation.",
                   valid.metrics.keys.sorted().map { (#"name="\#($0)""#, valid.metrics[$0]!) })
            metric("valid_epoch", "gauge", "Epoch of the last evaluation.", [("", Double(valid.epoch))])
        }
        metric("best_epoch", "gauge", "Epoch whose weights are kept (by evaluation.valid_metric).", [("", Double(run.stopping.bestEpoch))])
        if let link {
            metric("bytes_sent_total", "counter", "Bytes of whole frames the coordinator sent.", [("", Double(link.bytesSent))])
            metric("bytes_received_total", "counter", "Bytes of whole frames the coordinator received.", [("", Double(link.bytesReceived))])
        }
        metric("resident_bytes", "gauge", "Resident memory of the coordinator process.", [("", Double(ResourceUsage.residentBytes()))])
        return lines.joined(separator: "\n") + "\n"
    }
}
