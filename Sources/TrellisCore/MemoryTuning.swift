#if os(Linux)
import CGlibcMalloc
#endif

/// Allocator settings for training loops.
public enum MemoryTuning {
    /// Keeps freed tensor buffers in the process instead of returning them to the kernel.
    ///
    /// glibc serves blocks above 128 KiB with mmap and unmaps them on free, so a training
    /// step that allocates and frees the same few-hundred-KiB tensors every op pays a page
    /// fault per page each time (13% of a LightGCN epoch here). Raising the mmap and trim
    /// thresholds to 32 MiB and 256 MiB makes those buffers reusable. No-op off glibc.
    public static func keepFreedBuffers() {
        #if os(Linux)
        _ = mallopt(M_MMAP_THRESHOLD, 32 << 20)
        _ = mallopt(M_TRIM_THRESHOLD, 256 << 20)
        #endif
    }
}
