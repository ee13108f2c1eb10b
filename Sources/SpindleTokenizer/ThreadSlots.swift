// One result slot per worker thread, written through a raw pointer: threads never mutate a shared
// Swift Array (whose copy-on-write bookkeeping is not thread-safe), each touches only its own slot.

final class ThreadSlots<T>: @unchecked Sendable {
    private let base: UnsafeMutablePointer<T>
    let count: Int

    init(_ count: Int, _ initial: T) {
        self.count = count
        base = .allocate(capacity: max(1, count))
        base.initialize(repeating: initial, count: count)
    }

    deinit {
        base.deinitialize(count: count)
        base.deallocate()
    }

    subscript(i: Int) -> T {
        get { base[i] }
        set { base[i] = newValue }
    }

    /// Moves a slot's value out, leaving `replacement`.
    func take(_ i: Int, replacement: T) -> T {
        let v = base[i]
        base[i] = replacement
        return v
    }
}
