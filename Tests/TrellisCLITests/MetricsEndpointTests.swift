import Foundation
import Glibc
import XCTest

/// `coordinator start --metrics-listen`: the run's state in Prometheus' text format over
/// plain HTTP while it trains, and a clear refusal of a malformed address.
final class MetricsEndpointTests: XCTestCase {
    /// GET `path` from 127.0.0.1:`port`: (status line, body), or nil when nothing answers.
    private func get(port: Int, path: String) -> (status: String, body: String)? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var sa = sockaddr_in()
        sa.sin_family = sa_family_t(AF_INET)
        sa.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr)
        let connected = withUnsafePointer(to: &sa) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard connected == 0 else { return nil }
        let request = Array("GET \(path) HTTP/1.0\r\nHost: localhost\r\n\r\n".utf8)
        _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        var response = [UInt8](), buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            response.append(contentsOf: buffer[0..<n])
        }
        let text = String(decoding: response, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n") else { return nil }
        return (text[..<split.lowerBound].components(separatedBy: "\r\n")[0], String(text[split.upperBound...]))
    }

    func testTheCoordinatorServesItsMetricsWhileTraining() throws {
        let h = try Harness(name: "metrics")
        let port = Harness.freePort(), metricsPort = Harness.freePort()
        let (coordinator, workers) = try h.startRun(port: port, workers: 1, extra: ["--metrics-listen", "127.0.0.1:\(metricsPort)"])
        try h.waitFor(log: "coordinator", containing: "epoch 1 ", seconds: 120)
        let (status, body) = try XCTUnwrap(get(port: metricsPort, path: "/metrics"), "nothing answered on \(metricsPort)")
        XCTAssertEqual(status, "HTTP/1.0 200 OK")
        for line in ["# TYPE trellis_epoch gauge", "# TYPE trellis_bytes_sent_total counter", "trellis_workers 1.0",
                     "trellis_steps_per_epoch ", #"trellis_valid_metric{name="ndcg@10"} "#, "trellis_epoch_loss "] {
            XCTAssert(body.contains(line), "no '\(line)' in:\n\(body)")
        }
        // Every sample line is "name{labels} number".
        for line in body.split(separator: "\n") where !line.hasPrefix("#") {
            XCTAssertNotNil(line.split(separator: " ").last.flatMap { Double($0) }, "not a sample: \(line)")
        }
        XCTAssertEqual(get(port: metricsPort, path: "/nope")?.status, "HTTP/1.0 404 Not Found")
        try h.finish(coordinator, workers)
    }

    func testAMalformedAddressIsRefusedBeforeAnythingLoads() throws {
        let h = try Harness(name: "metrics-bad")
        let (status, output) = try Harness.run(["coordinator", "start", "--config", h.config, "--metrics-listen", "localhost"])
        XCTAssertNotEqual(status, 0)
        XCTAssert(output.contains("--metrics-listen") && output.contains("expected HOST:PORT"), output)
        XCTAssertFalse(output.contains("dataset"), "refused before the data loads:\n\(output)")
    }
}
