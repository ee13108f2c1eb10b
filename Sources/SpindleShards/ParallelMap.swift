import Dispatch

/// Maps a batch over a few threads, keeping input order (so packing stays deterministic whatever the
/// thread count). Tokenisation dominates packing time, and the encoders are thread-safe.
public enum ParallelMap {
    /// `f` applied to every item, results in input order. Each item's error is returned in its slot.
    public static func map<T, R>(_ items: [T], threads: Int, _ f: (T) -> R) -> [R] {
        guard threads > 1, items.count > 1 else { return items.map(f) }
        var out = [R?](repeating: nil, count: items.count)
        let workers = min(threads, items.count)
        out.withUnsafeMutableBufferPointer { buf in
            nonisolated(unsafe) let results = buf
            items.withUnsafeBufferPointer { src in
                nonisolated(unsafe) let inputs = src
                withoutActuallyEscaping(f) { f in
                    nonisolated(unsafe) let f = f
                    DispatchQueue.concurrentPerform(iterations: workers) { w in
                        // Interleaved: worker w takes items w, w + workers, … (similar lengths spread evenly).
                        var i = w
                        while i < inputs.count {
                            results[i] = f(inputs[i])
                            i += workers
                        }
                    }
                }
            }
        }
        return out.map { $0! }
    }
}
