import Foundation
import TrellisTransport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The key files `trellis keygen --output-dir DIR` writes and `--curve-secret-key-file` reads:
/// `DIR/curve.key` (the secret key, mode 0600) and `DIR/curve.pub` (the public key), each one
/// Z85 line.
enum CurveKeyFile {
    static let secretName = "curve.key"
    static let publicName = "curve.pub"

    /// The pair whose secret key is in `path`, with a clear error for a missing, unreadable or
    /// malformed file.
    static func readSecret(_ path: String) throws -> CurveKeyPair {
        let what = "CURVE secret key file \(path)"
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw RunError(message: "\(what): no such file (make one with `trellis keygen --output-dir DIR`: DIR/\(secretName))")
        }
        guard !isFolder.boolValue else { throw RunError(message: "\(what): is a folder, expected the file \(secretName) in it") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RunError(message: "\(what): cannot be read by this user")
        }
        // One line, as keygen writes it; surrounding whitespace (an editor's newline) is not part of the key.
        let secret = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        do {
            try CurveKeyPair.validate(secret, as: what)
            return try CurveKeyPair(secretKey: secret)
        } catch { throw RunError(error) }
    }

    /// Writes `pair` into `directory` (created if missing), returning the two paths. Never
    /// overwrites: replacing a key would lock out every worker that holds the old public key.
    static func save(_ pair: CurveKeyPair, in directory: String) throws -> (secret: String, public: String) {
        let folder = URL(fileURLWithPath: directory)
        let secret = folder.appendingPathComponent(secretName).path, pub = folder.appendingPathComponent(publicName).path
        for path in [secret, pub] where FileManager.default.fileExists(atPath: path) {
            throw RunError(message: "\(path) already exists; keygen never replaces a key: remove it or choose another --output-dir")
        }
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch { throw RunError(message: "cannot create the folder \(directory): \(error.localizedDescription)") }
        try create(secret, line: pair.secretKey, mode: 0o600)
        try create(pub, line: pair.publicKey, mode: 0o644)
        return (secret, pub)
    }

    /// Creates `path` with `mode` from the start (O_EXCL), so the secret is never readable by others, not even briefly.
    private static func create(_ path: String, line: String, mode: mode_t) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode)
        guard fd >= 0 else { throw RunError(message: "cannot create \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let bytes = Array((line + "\n").utf8)
        // fchmod: the umask may have taken bits off `mode`; the file gets exactly `mode`.
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard fchmod(fd, mode) == 0, written == bytes.count, fsync(fd) == 0 else {
            throw RunError(message: "cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }
}
