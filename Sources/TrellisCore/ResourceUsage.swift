#if canImport(Glibc)
import Glibc
private let RUSAGE_SELF_ID = __rusage_who_t(RUSAGE_SELF.rawValue)
#else
import Darwin
private let RUSAGE_SELF_ID = RUSAGE_SELF
#endif

/// Process-level measurements used by benchmarks and progress lines.
public enum ResourceUsage {
    /// Peak resident set size of this process in bytes (Linux `VmHWM`, else `ru_maxrss`).
    public static func peakResidentBytes() -> Int {
        if let kib = procStatusKiB("VmHWM:") { return kib * 1024 }
        var usage = rusage()
        getrusage(RUSAGE_SELF_ID, &usage)
        #if os(Linux)
        return Int(usage.ru_maxrss) * 1024
        #else
        return Int(usage.ru_maxrss)
        #endif
    }

    /// Resets the peak resident set size to the current one (Linux: `5` to
    /// `/proc/self/clear_refs`), so a later `peakResidentBytes` measures only what follows.
    /// Returns false where the system cannot.
    @discardableResult
    public static func resetPeak() -> Bool {
        guard let file = fopen("/proc/self/clear_refs", "w") else { return false }
        defer { fclose(file) }
        return fputs("5", file) >= 0
    }

    /// Current resident set size in bytes (Linux `VmRSS`), or 0 where unknown.
    public static func residentBytes() -> Int {
        (procStatusKiB("VmRSS:") ?? 0) * 1024
    }

    /// Monotonic clock in seconds.
    public static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    private static func procStatusKiB(_ key: String) -> Int? {
        guard let file = fopen("/proc/self/status", "r") else { return nil }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 256)
        while fgets(&line, Int32(line.count), file) != nil {
            let text = String(cString: line)
            if text.hasPrefix(key) {
                let digits = text.dropFirst(key.count).filter { $0.isNumber }
                return Int(String(digits))
            }
        }
        return nil
    }
}
