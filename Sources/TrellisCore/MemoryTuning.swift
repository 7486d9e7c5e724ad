#if os(Linux)
import CGlibcMalloc
#endif

/// Allocator settings for training loops.
public enum MemoryTuning {
    /// Keeps freed tensor buffers in the process instead of returning them to the kernel.
    ///
    /// glibc serves blocks above 128 KiB with mmap and unmaps them on free, so a training
    /// step that allocates and frees the same tensors every op pays a page fault and a page
    /// clear per page each time (13% of a LightGCN epoch here; 45% of a SASRec step over
    /// 2,048 sequences, whose activations are 26-105 MB each, above the 32 MiB that glibc lets
    /// the mmap threshold reach). So no block is mmapped (M_MMAP_MAX 0) and freed heap is
    /// never given back (M_TRIM_THRESHOLD −1; the largest positive value, 2 GiB, still let a
    /// 2.5 GB step of seed 003's setting hand its freed top back and fault it in again, a
    /// fifth of the step): a step's activations, freed together at its end, are the next
    /// step's without a fault. The peak RSS is what it was; the RSS stays near it between
    /// steps. No-op off glibc.
    public static func keepFreedBuffers() {
        #if os(Linux)
        _ = mallopt(M_MMAP_MAX, 0)
        _ = mallopt(M_TRIM_THRESHOLD, -1)
        #endif
    }

    /// `keepFreedBuffers`, and one arena for every thread, for processes that receive large
    /// messages: a thread's own arena cannot hold a block above 64 MiB and glibc then maps it
    /// regardless of M_MMAP_MAX, so libzmq's I/O thread, receiving a whole item table (155 MB)
    /// every step, faulted in and cleared fresh pages for each (11% of a coordinator's and of
    /// a worker's time at retail scale). Not for one process: there the compute threads'
    /// allocations, in the main arena too, raised seed 003's setting's peak by 6%.
    public static func keepFreedBuffersInOneArena() {
        keepFreedBuffers()
        #if os(Linux)
        _ = mallopt(M_ARENA_MAX, 1)
        #endif
    }
}
