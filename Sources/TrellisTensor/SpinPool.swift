import Dispatch
import Foundation
import Synchronization

/// Persistent helper threads for `Parallel`: a step of a small model runs a hundred or more
/// short parallel kernels, and libdispatch woke a sleeping thread for each (a futex wake and
/// wait, tens of microseconds of a core per kernel: SASRec's ML-100K step made 250 futex calls).
/// A helper here polls for `spinNanoseconds` after its chunk, so the next kernel finds it
/// awake, and only then sleeps on a semaphore (ML-100K SASRec step, interleaved runs: median
/// 42.1 -> 37.0 ms; futex calls 10,193 -> 545 an epoch).
///
/// One caller at a time: `perform` returns false when another thread's kernel holds the pool
/// (or a chunk calls it again), and the caller runs the kernel the old way.
final class SpinPool: @unchecked Sendable {
    /// Longer than most gaps between two kernels of a step (a single-threaded product, the
    /// autograd's bookkeeping; 50 µs caught a third of them and gained half as much), short
    /// enough that a process waiting on its sockets gives its cores back at once.
    static let spinNanoseconds: UInt64 = 1_000_000

    let helpers: Int
    private let generation = Atomic<Int>(0)
    private let pending = Atomic<Int>(0)
    private let busy = Atomic<Bool>(false)
    private let sleepers: [Sleeper]
    // Written by the caller before `generation` is bumped (release), read by helpers after
    // they see the bump (acquire).
    nonisolated(unsafe) private var job: ((Int) -> Void)?
    nonisolated(unsafe) private var jobCount = 0

    init(helpers: Int) {
        self.helpers = helpers
        sleepers = (0..<helpers).map { _ in Sleeper() }
        for h in 0..<helpers {
            // The helpers keep their pool alive: an outgrown pool is dropped by `Parallel`
            // while they still poll it.
            let thread = Thread { self.serve(helper: h) }
            thread.name = "trellis-compute-\(h + 1)"
            thread.start()
        }
    }

    /// Runs `body(i)` for i in 0..<count (count <= helpers + 1): index 0 on the calling thread,
    /// index i on helper i − 1. False (nothing run) when the pool is in use.
    func perform(_ count: Int, _ body: (Int) -> Void) -> Bool {
        precondition(count >= 1 && count <= helpers + 1)
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
        defer { busy.store(false, ordering: .releasing) }
        withoutActuallyEscaping(body) { body in
            job = body
            jobCount = count
            // Every helper answers every kernel, worker or not: the next kernel's job is only
            // written once no helper can still be reading this one's.
            pending.store(helpers, ordering: .relaxed)
            generation.add(1, ordering: .sequentiallyConsistent)
            for sleeper in sleepers where sleeper.asleep.exchange(false, ordering: .sequentiallyConsistent) {
                sleeper.wake.signal()
            }
            body(0)
            var polls = 0
            while pending.load(ordering: .acquiring) > 0 {
                polls += 1
                if polls & 255 == 0 { sched_yield() }
            }
            job = nil
        }
        return true
    }

    private func serve(helper h: Int) {
        let sleeper = sleepers[h]
        var seen = 0
        while true {
            var polls = 0, start: UInt64 = 0
            while generation.load(ordering: .acquiring) == seen {
                polls += 1
                guard polls & 255 == 0 else { continue }
                // A core shared with other threads (more threads than cores, several processes
                // on one host) goes to them between polls.
                sched_yield()
                let now = DispatchTime.now().uptimeNanoseconds
                if start == 0 { start = now }
                guard now - start > Self.spinNanoseconds else { continue }
                // Sleep, unless a kernel was posted between the last poll and the flag: then
                // whoever clears the flag first decides whether a signal is owed.
                sleeper.asleep.store(true, ordering: .sequentiallyConsistent)
                if generation.load(ordering: .sequentiallyConsistent) != seen {
                    if !sleeper.asleep.exchange(false, ordering: .sequentiallyConsistent) { sleeper.wake.wait() }
                } else {
                    sleeper.wake.wait()
                }
                polls = 0
                start = 0
            }
            seen = generation.load(ordering: .acquiring)
            if h + 1 < jobCount { job!(h + 1) }
            pending.subtract(1, ordering: .releasing)
        }
    }
}

/// A helper's way to sleep: `asleep` is set before it waits on `wake`; whoever posts a kernel
/// clears it and signals.
private final class Sleeper: Sendable {
    let asleep = Atomic<Bool>(false)
    let wake = DispatchSemaphore(value: 0)
}
