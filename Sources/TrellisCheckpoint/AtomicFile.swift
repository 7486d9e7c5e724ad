#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Durable, all-or-nothing file replacement.
///
/// After `write` returns, the file holds the new bytes and survives a power cut; if the
/// process dies midway, the target holds its old content (or stays absent) and at most a
/// `.tmp-<pid>` sibling is left behind. Foundation's `.atomic` option renames but does not
/// fsync, which leaves a window where the rename is durable but the data is not.
public enum AtomicFile {
    /// Writes `bytes` to `path.tmp-<pid>`, fsyncs it, renames it over `path`, then fsyncs
    /// the directory so the rename itself is durable.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        let temp = "\(path).tmp-\(getpid())"
        do {
            try writeAndSync(bytes, to: temp)
            guard rename(temp, path) == 0 else { throw failure("rename to \(path)", file: temp) }
        } catch {
            unlink(temp)
            throw error
        }
        try syncDirectory(containing: path)
    }

    /// Fsyncs the directory that holds `path`, making a create, rename or unlink in it durable.
    public static func syncDirectory(containing path: String) throws {
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
        try syncDirectory(directory)
    }

    /// Fsyncs `directory` itself (its entries, not the files in it).
    public static func syncDirectory(_ directory: String) throws {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw failure("open directory", file: directory) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw failure("fsync directory", file: directory) }
    }

    // MARK: Internals

    private static func writeAndSync(_ bytes: [UInt8], to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure("open for writing", file: path) }
        defer { close(fd) }
        try bytes.withUnsafeBytes { buffer in
            var done = 0
            // write(2) may stop short (signals, large buffers); loop until everything is out.
            while done < buffer.count {
                let n = systemWrite(fd, buffer.baseAddress! + done, buffer.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw failure("write", file: path)
                }
                done += n
            }
        }
        guard fsync(fd) == 0 else { throw failure("fsync", file: path) }
    }

    /// A `CheckpointError` for the failed call `what`, carrying `strerror(errno)`.
    static func failure(_ what: String, file: String) -> CheckpointError {
        CheckpointError(kind: .io, file: file, expected: "\(what) to succeed",
                        found: String(cString: strerror(errno)))
    }
}

/// The libc `write(2)`, reachable under another name inside `AtomicFile`, whose own `write` shadows it.
private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, buffer, count)
}
