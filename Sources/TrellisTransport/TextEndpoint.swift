import Foundation
import Glibc

/// A plain-HTTP endpoint that serves one text document (Prometheus' text format, say) to GET
/// requests for `path`, from a thread of its own, so a slow or hostile scraper never holds up
/// the caller. One connection at a time; a request is read up to 8 KiB and 2 s, then answered
/// and closed. The document is replaced with `update`, from any thread.
public final class TextEndpoint {
    public let path: String
    /// The port bound (useful when 0 asked the system for one).
    public let port: Int
    private let listener: Int32
    private let lock = NSLock()
    private var document = ""
    private var closed = false
    private var thread: Thread?

    /// Splits `HOST:PORT` (an IPv4 address, or `*` for all), checking both: what `init` binds.
    @discardableResult
    public static func parse(_ address: String) throws -> (address: in_addr, port: Int) {
        let parts = address.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let port = Int(parts[1]), (0...65535).contains(port) else {
            throw TransportError(operation: "listen \(address)", errno: EINVAL, message: "expected HOST:PORT, e.g. 127.0.0.1:9464 or *:9464")
        }
        var ip = in_addr()
        let host = parts[0] == "*" ? "0.0.0.0" : String(parts[0])
        guard inet_pton(AF_INET, host, &ip) == 1 else {
            throw TransportError(operation: "listen \(address)", errno: EINVAL, message: "expected an IPv4 address or * before the port")
        }
        return (ip, port)
    }

    /// Binds `address` (see `parse`); throws with the address and why.
    public init(listen address: String, path: String = "/metrics") throws {
        let (ip, port) = try Self.parse(address)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TransportError(operation: "socket for \(address)", errno: errno, message: String(cString: strerror(errno))) }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var sa = sockaddr_in()
        sa.sin_family = sa_family_t(AF_INET)
        sa.sin_port = in_port_t(UInt16(port).bigEndian)
        sa.sin_addr = ip
        let bound = withUnsafePointer(to: &sa) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0, listen(fd, 16) == 0 else {
            let code = errno
            _ = Glibc.close(fd)
            throw TransportError(operation: "listen \(address)", errno: code, message: String(cString: strerror(code)))
        }
        var actual = sockaddr_in(), length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        self.port = Int(UInt16(bigEndian: actual.sin_port))
        self.listener = fd
        self.path = path
        let thread = Thread { [weak self] in self?.serve() }
        thread.name = "metrics-endpoint"
        self.thread = thread
        thread.start()
    }

    /// Replaces the document served.
    public func update(_ text: String) {
        lock.lock()
        document = text
        lock.unlock()
    }

    /// Stops accepting; a request being answered finishes.
    public func close() {
        lock.lock()
        let wasClosed = closed
        closed = true
        lock.unlock()
        if !wasClosed { shutdown(listener, Int32(SHUT_RDWR)); _ = Glibc.close(listener) }
    }

    deinit { close() }

    private var isClosed: Bool { lock.lock(); defer { lock.unlock() }; return closed }

    private func serve() {
        while !isClosed {
            let client = accept(listener, nil, nil)
            guard client >= 0 else { if errno == EINTR { continue } else { return } }
            answer(client)
            _ = Glibc.close(client)
        }
    }

    private func answer(_ client: Int32) {
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var request = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 1024)
        // The request line and headers, up to the blank line, 8 KiB or 2 s.
        while request.count < 8192, !request.suffix(4).elementsEqual([13, 10, 13, 10]) {
            let n = recv(client, &buffer, buffer.count, 0)
            guard n > 0 else { break }
            request.append(contentsOf: buffer[0..<n])
        }
        let line = String(decoding: request.prefix { $0 != 13 && $0 != 10 }, as: UTF8.self).split(separator: " ")
        let status: String, body: String
        if line.count >= 2, line[0] == "GET", line[1].split(separator: "?").first.map(String.init) == path {
            lock.lock()
            body = document
            lock.unlock()
            status = "200 OK"
        } else {
            status = line.first == "GET" ? "404 Not Found" : "405 Method Not Allowed"
            body = "serves GET \(path)\n"
        }
        let bytes = Array(body.utf8)
        let head = "HTTP/1.0 \(status)\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
            + "Content-Length: \(bytes.count)\r\nConnection: close\r\n\r\n"
        for part in [Array(head.utf8), bytes] {
            var sent = 0
            while sent < part.count {
                let n = part[sent...].withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                guard n > 0 else { return }
                sent += n
            }
        }
    }
}
