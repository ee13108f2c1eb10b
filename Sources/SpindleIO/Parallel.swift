// Parallel.swift: every parallel loop in Spindle goes through here, so the escapes from Swift's
// concurrency checking live in one file, each with its reason. Work is split into pieces that depend
// only on the count and the thread number, never on scheduling, so results are bitwise reproducible.
import Dispatch

/// A thread budget, passed to whatever runs in parallel (there is no process-global thread count).
/// `Parallel(threads: 1)` runs every loop inline on the caller's thread.
public struct Parallel: Sendable, Equatable {
    public let threads: Int

    public init(threads: Int) { self.threads = max(1, threads) }

    /// One thread: loops run inline.
    public static let serial = Parallel(threads: 1)

    /// Runs `body(i)` for every i in 0..<n, on up to `threads` threads (n tasks; the caller joins them).
    ///
    /// Why unchecked: the bodies write disjoint slices of raw buffers or their own `ThreadSlots` slot,
    /// which Sendable checking cannot see; `withoutActuallyEscaping` holds because `concurrentPerform`
    /// returns only after every iteration has finished.
    @inline(__always)
    public func forEach(_ n: Int, _ body: (Int) -> Void) {
        if n <= 1 || threads <= 1 {
            for i in 0..<n { body(i) }
            return
        }
        withoutActuallyEscaping(body) { b in
            DispatchQueue.concurrentPerform(iterations: n, execute: unsafeBitCast(b, to: (@Sendable (Int) -> Void).self))
        }
    }

    /// Runs `body(range)` over at most `threads` contiguous pieces of 0..<n, each at least `grain` long.
    @inline(__always)
    public func ranges(_ n: Int, grain: Int = 1, _ body: (Range<Int>) -> Void) {
        let pieces = max(1, min(threads, n / max(grain, 1)))
        if pieces == 1 { body(0..<n); return }
        forEach(pieces) { p in body((p * n / pieces)..<((p + 1) * n / pieces)) }
    }

    /// `f` applied to every item, results in input order whatever the thread count. Worker w takes
    /// items w, w + workers, … (interleaved, so items of similar cost spread evenly).
    public func map<T, R>(_ items: [T], _ f: (T) -> R) -> [R] {
        guard threads > 1, items.count > 1 else { return items.map(f) }
        let workers = min(threads, items.count)
        let results = ThreadSlots<R?>(items.count, nil)
        items.withUnsafeBufferPointer { src in
            // Why unchecked: `src` is read-only for the duration of the loop, which joins before returning.
            nonisolated(unsafe) let inputs = src
            forEach(workers) { w in
                var i = w
                while i < inputs.count {
                    results[i] = f(inputs[i])
                    i += workers
                }
            }
        }
        return (0..<items.count).map { results.take($0, replacement: nil)! }
    }
}

/// One result slot per worker, written through a raw pointer: threads never mutate a shared Swift
/// Array (whose copy-on-write bookkeeping is not thread-safe); each touches only its own slot.
/// The single owner of its memory: freed in `deinit`.
///
/// Why `@unchecked Sendable`: slots are shared across the threads of one parallel loop, and each
/// thread reads or writes only the slots with its own index, then the loop joins.
public final class ThreadSlots<T>: @unchecked Sendable {
    private let base: UnsafeMutablePointer<T>
    public let count: Int

    public init(_ count: Int, _ initial: T) {
        self.count = count
        base = .allocate(capacity: max(1, count))
        base.initialize(repeating: initial, count: count)
    }

    deinit {
        base.deinitialize(count: count)
        base.deallocate()
    }

    public subscript(i: Int) -> T {
        get { base[i] }
        set { base[i] = newValue }
    }

    /// Moves a slot's value out, leaving `replacement`.
    public func take(_ i: Int, replacement: T) -> T {
        let v = base[i]
        base[i] = replacement
        return v
    }
}
