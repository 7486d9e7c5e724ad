import COpenBLAS
import Foundation

extension BLAS {
    /// The kernel family OpenBLAS chose at load time (`Prescott`, `Haswell`, `SkylakeX`).
    public static var coreName: String { openblas_get_corename().map { String(cString: $0) } ?? "unknown" }

    /// The kernel family to ask for where OpenBLAS chose a weaker one than the CPU runs: a
    /// virtual machine that reports a generic CPU model ("Intel Xeon Processor") makes
    /// OpenBLAS's model table fall back to its SSE3 `Prescott` kernels even where the flags
    /// show AVX-512, which left sgemm at a third of its speed here. Nil when the choice is
    /// already right or the flags say nothing better.
    public static func betterCoreType(current: String = coreName, cpuFlags: Set<Substring>? = cpuFlags()) -> String? {
        guard let flags = cpuFlags, ["prescott", "core2", "nehalem", "sandybridge", "unknown"].contains(current.lowercased()) else { return nil }
        if ["avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512cd"].allSatisfy(flags.contains) { return "SkylakeX" }
        if ["avx2", "fma"].allSatisfy(flags.contains), current.lowercased() != "haswell" { return "Haswell" }
        return nil
    }

    /// The `flags` of the first CPU in /proc/cpuinfo (nil where there is none, as off Linux).
    public static func cpuFlags() -> Set<Substring>? {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let colon = line.firstIndex(of: ":") else { return nil }
        return Set(line[line.index(after: colon)...].split(separator: " "))
    }
}
