// SpinPool.swift: persistent threads for the many tiny parallel regions of token-by-token decoding.
// A stories15M token is ~30 matrix-vector products of 0.1–10 µs each; waking a thread through the
// kernel (Dispatch, or OpenBLAS's own pool) costs as much as the product, so decoding ran nearly
// single-threaded. Here workers spin briefly on an epoch counter and only then sleep on a condition.
import Foundation
import Synchronization

/// A fixed set of threads that run `body(t)` for t in 0..<threads together: the caller is thread 0.
/// Each task index always runs the same work, so results do not depend on scheduling.
public final class SpinPool: Sendable {
    /// Number of participants, the calling thread included.
    public let threads: Int
    /// What the workers share with the caller. Workers hold it strongly and never touch the pool
    /// itself, so the pool can go away while a worker thread has not even started yet.
    private let shared: SpinShared

    public init(threads: Int) {
        self.threads = max(1, threads)
        shared = SpinShared(threads: self.threads)
        for t in 1..<self.threads {
            let s = shared
            let thread = Thread { s.workerLoop(t) }
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    /// Tells the workers to leave and waits until each one has (a late-starting one included).
    deinit { shared.stop() }

    /// Runs `body(t)` on every participant t in 0..<threads and returns when all are done.
    public func run(_ body: (Int) -> Void) { shared.run(body) }

    /// Participant `t`'s share of 0..<n out of `of` participants: contiguous, with inner boundaries on
    /// multiples of `align` (8 keeps SIMD8 kernels on whole vectors).
    @inline(__always)
    public static func piece(_ n: Int, _ t: Int, _ of: Int, align: Int = 1) -> Range<Int> {
        let lo = t == 0 ? 0 : min(n, (t * n / of) / align * align)
        let hi = t == of - 1 ? n : min(n, ((t + 1) * n / of) / align * align)
        return lo..<max(lo, hi)
    }

}

/// The epoch counter, the pending count and the body the participants of a `SpinPool` share.
// Why @unchecked Sendable: the body and the stop flag are written by the caller only while no worker
// runs (before the epoch bump that releases them, with release/acquire ordering); everything else is atomic.
private final class SpinShared: @unchecked Sendable {
    let threads: Int
    private let epoch = Atomic<Int>(0)
    private let pending = Atomic<Int>(0)
    private let sleepers = Atomic<Int>(0)
    private let wake = NSCondition()
    private var body: ((Int) -> Void)?
    private var stopping = false
    /// Spin iterations before a worker sleeps (~50 µs): long enough to bridge the serial work
    /// between two products, short enough not to burn a core when decoding stops.
    private let spinLimit = 20_000

    init(threads: Int) { self.threads = threads }

    func stop() {
        guard threads > 1 else { return }
        stopping = true
        pending.store(threads - 1, ordering: .sequentiallyConsistent)
        epoch.add(1, ordering: .sequentiallyConsistent)
        wake.lock(); wake.broadcast(); wake.unlock()
        while pending.load(ordering: .acquiring) > 0 { sched_yield() }
    }

    func run(_ body: (Int) -> Void) {
        if threads == 1 { body(0); return }
        withoutActuallyEscaping(body) { b in
            self.body = b
            pending.store(threads - 1, ordering: .relaxed)
            epoch.add(1, ordering: .sequentiallyConsistent)
            if sleepers.load(ordering: .sequentiallyConsistent) > 0 { wake.lock(); wake.broadcast(); wake.unlock() }
            b(0)
            // Spin for the workers; yield the core if one of them is not running (more threads than cores).
            var spins = 0
            while pending.load(ordering: .acquiring) > 0 {
                spins += 1
                if spins > spinLimit { sched_yield() }
            }
            self.body = nil
        }
    }

    func workerLoop(_ t: Int) {
        var seen = 0
        while true {
            var spins = 0
            while epoch.load(ordering: .acquiring) == seen {
                spins += 1
                if spins < spinLimit { continue }
                wake.lock()
                sleepers.add(1, ordering: .sequentiallyConsistent)
                while epoch.load(ordering: .sequentiallyConsistent) == seen { wake.wait() }
                sleepers.subtract(1, ordering: .sequentiallyConsistent)
                wake.unlock()
            }
            seen = epoch.load(ordering: .acquiring)
            if stopping { pending.subtract(1, ordering: .releasing); return }
            body?(t)
            pending.subtract(1, ordering: .releasing)
        }
    }
}
