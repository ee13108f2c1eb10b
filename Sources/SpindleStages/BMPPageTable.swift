// BMPPageTable.swift: a per-scalar lookup for the Basic Multilingual Plane, filled one 256-scalar page
// at a time on first use, safely from any number of threads.
import Synchronization

/// 65,536 entries in one allocation, owned by this table (the process keeps it for its lifetime).
/// A page is computed under a lock the first time a scalar of it is looked up, then published by
/// setting its bit in `ready` with release ordering; readers test the bit with acquire ordering, so a
/// reader never sees a half-written page, and the fast path is one load and one bit test.
final class BMPPageTable: Sendable {
    // Why nonisolated(unsafe): the entries of a page are written once, under `fill`, before the page's
    // ready bit is released; they are read only after that bit has been acquired.
    nonisolated(unsafe) private let entries: UnsafeMutablePointer<UInt32>
    private let ready = ReadyBits()
    private let fill = Mutex(())
    private let classify: @Sendable (UInt32) -> UInt32

    init(classify: @escaping @Sendable (UInt32) -> UInt32) {
        self.classify = classify
        entries = .allocate(capacity: 1 << 16)
    }

    deinit { entries.deallocate() }

    /// The class of BMP scalar `v` (v < 0x10000).
    @inline(__always) subscript(v: UInt32) -> UInt32 {
        let page = Int(v >> 8)
        if !ready.isSet(page) { fillPage(page) }
        return entries[Int(v)]
    }

    private func fillPage(_ page: Int) {
        fill.withLock { _ in
            guard !ready.isSet(page) else { return }
            let base = entries + page << 8
            for k in 0..<256 { base[k] = classify(UInt32(page << 8 | k)) }
            ready.set(page)
        }
    }
}

/// 256 flags in four atomic words.
private final class ReadyBits: Sendable {
    private let words = InlineArray<4, Atomic<UInt64>> { _ in Atomic(0) }

    @inline(__always) func isSet(_ page: Int) -> Bool {
        words[page >> 6].load(ordering: .acquiring) & (1 << UInt64(page & 63)) != 0
    }

    func set(_ page: Int) {
        words[page >> 6].bitwiseOr(1 << UInt64(page & 63), ordering: .releasing)
    }
}
