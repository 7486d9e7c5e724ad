import TrellisCore
import Yams

/// Typed access to YAML nodes with errors that name the key. Every number is checked for
/// range (and floats for finiteness) here, as it is read, and every value echoed back in an
/// error is cut with `Echo.cut`.
struct ConfigReader {
    let file: String

    func fail(_ key: String, _ message: String) -> ConfigError { ConfigError(file: file, key: Echo.cut(key), message: message) }

    /// The node's text as written, cut for an error message.
    func echo(_ node: Node) -> String { Echo.cut(node.string ?? "?") }

    func mapping(_ node: Node, at key: String, allowed: Set<String>) throws -> [String: Node] {
        guard case .mapping(let m) = node else { throw fail(key, "expected a mapping of keys") }
        var out: [String: Node] = [:]
        for (k, v) in m {
            guard let name = k.string else { throw fail(key, "keys must be strings") }
            guard allowed.contains(name) else {
                let path = key.isEmpty ? name : "\(key).\(name)"
                throw fail(path, "unknown key; expected one of \(allowed.sorted())")
            }
            out[name] = v
        }
        return out
    }

    func isNull(_ node: Node) -> Bool { node.null != nil && node.scalar?.style == .plain }

    func string(_ node: Node, at key: String) throws -> String {
        guard let s = node.string else { throw fail(key, "expected a string") }
        return s
    }

    /// A short lower-case name (`sage`, `gatv2`): what a registry looks up.
    func name(_ node: Node, at key: String) throws -> String {
        let s = try string(node, at: key)
        guard (1...32).contains(s.count), s.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "-" }) else {
            throw fail(key, "expected a name of 1 to 32 characters a-z, 0-9, '_' or '-', got '\(echo(node))'")
        }
        return s
    }

    func int(_ node: Node, at key: String, min: Int = .min, max: Int = .max) throws -> Int {
        guard let v = node.int else { throw fail(key, "expected an integer, got '\(echo(node))'") }
        guard v >= min else { throw fail(key, "expected at least \(min), got \(v)") }
        guard v <= max else { throw fail(key, "expected at most \(max), got \(v)") }
        return v
    }

    /// A finite number of at least `min` (greater than `min` when `exclusive`).
    func double(_ node: Node, at key: String, min: Double = -.infinity, exclusive: Bool = false) throws -> Double {
        guard let v = node.float ?? node.int.map(Double.init) else { throw fail(key, "expected a number, got '\(echo(node))'") }
        guard v.isFinite else { throw fail(key, "expected a finite number, got \(echo(node))") }
        if exclusive {
            guard v > min else { throw fail(key, "expected a number greater than \(Self.plain(min)), got \(echo(node))") }
        } else {
            guard v >= min else { throw fail(key, "expected at least \(Self.plain(min)), got \(echo(node))") }
        }
        return v
    }

    /// As `double`, and finite as a 32-bit float too (`1e40` is not: it overflows to infinity).
    func float(_ node: Node, at key: String, min: Double = -.infinity, exclusive: Bool = false) throws -> Float {
        let v = Float(try double(node, at: key, min: min, exclusive: exclusive))
        guard v.isFinite else {
            throw fail(key, "expected a finite number (a 32-bit float: at most \(Float.greatestFiniteMagnitude)), got \(echo(node))")
        }
        return v
    }

    func bool(_ node: Node, at key: String) throws -> Bool {
        guard let v = node.bool else { throw fail(key, "expected true or false, got '\(echo(node))'") }
        return v
    }

    func list(_ node: Node, at key: String) throws -> [Node] {
        guard case .sequence(let s) = node else { throw fail(key, "expected a list") }
        return Array(s)
    }

    func choice<T: RawRepresentable & CaseIterable>(_ node: Node, at key: String) throws -> T where T.RawValue == String {
        let s = try string(node, at: key)
        guard let v = T(rawValue: s) else {
            throw fail(key, "expected one of \(T.allCases.map(\.rawValue)), got '\(Echo.cut(s))'")
        }
        return v
    }

    /// `0` rather than `0.0` in messages.
    static func plain(_ v: Double) -> String { v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : "\(v)" }
}
