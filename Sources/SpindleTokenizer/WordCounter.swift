// Counting unique words (byte strings) with 64-bit counts: open addressing over 32-byte slots that hold
// the hash tag, the length, the count and keys of up to 16 bytes inline (longer keys live in an arena),
// so finding a common word reads one cache line. The trainer keeps one counter per thread and shard
// (a word's shard comes from its hash) and merges the shards on all threads at once.

struct WordCounter {
    struct Slot {
        /// Hash bits 32-63, an occupied flag (bit 31) and the key length; 0 = empty.
        var tagLen: UInt64
        var count: UInt64
        /// Key bytes 0..<8, zero-padded.
        var k0: UInt64
        /// Key bytes 8..<16 for keys of up to 16 bytes; the arena offset of longer keys.
        var k1: UInt64
    }
    static let inlineBytes = 16
    private(set) var slots: [Slot]
    private(set) var arena: [UInt8] = []
    private(set) var count = 0
    private var mask: Int

    init(capacity: Int = 1 << 16) {
        var c = 16
        while c * 3 < capacity * 4 { c <<= 1 }
        slots = [Slot](repeating: Slot(tagLen: 0, count: 0, k0: 0, k1: 0), count: c)
        mask = c - 1
    }

    /// Slots to visit with `length(at:)`, `count(at:)` and `withKey(at:)` (empty slots have length 0).
    var capacity: Int { slots.count }
    func length(at i: Int) -> Int { slots[i].tagLen == 0 ? 0 : Int(slots[i].tagLen & 0x7FFF_FFFF) }
    func count(at i: Int) -> UInt64 { slots[i].count }

    /// Calls `body` with the key bytes of occupied slot `i`.
    func withKey<R>(at i: Int, _ body: (UnsafePointer<UInt8>, Int) -> R) -> R {
        let s = slots[i]
        let n = Int(s.tagLen & 0x7FFF_FFFF)
        if n > Self.inlineBytes {
            return arena.withUnsafeBufferPointer { body($0.baseAddress! + Int(s.k1), n) }
        }
        var k = (s.k0.littleEndian, s.k1.littleEndian)
        return withUnsafeBytes(of: &k) { body($0.baseAddress!.assumingMemoryBound(to: UInt8.self), n) }
    }

    /// Every word and its count, in slot order.
    func forEach(_ body: (UnsafePointer<UInt8>, Int, UInt64) -> Void) {
        for i in 0..<slots.count where slots[i].tagLen != 0 {
            withKey(at: i) { p, n in body(p, n, slots[i].count) }
        }
    }

    /// The first 16 bytes of a key, zero-padded, as two little-endian words.
    @inline(__always)
    static func inlineKey(_ p: UnsafePointer<UInt8>, _ n: Int) -> (UInt64, UInt64) {
        var k0: UInt64 = 0, k1: UInt64 = 0
        let m = min(n, 16)
        var i = 0
        while i < min(m, 8) { k0 |= UInt64(p[i]) << (8 * UInt64(i)); i += 1 }
        while i < m { k1 |= UInt64(p[i]) << (8 * UInt64(i - 8)); i += 1 }
        return (k0, k1)
    }

    /// The same as `inlineKey` when at least 16 bytes from `p` may be read.
    @inline(__always)
    static func inlineKeyPadded(_ p: UnsafePointer<UInt8>, _ n: Int) -> (UInt64, UInt64) {
        let raw = UnsafeRawPointer(p)
        let w0 = UInt64(littleEndian: raw.loadUnaligned(as: UInt64.self))
        let w1 = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        let m0: UInt64 = n >= 8 ? ~0 : (1 << (8 * UInt64(n))) &- 1
        let m1: UInt64 = n >= 16 ? ~0 : n <= 8 ? 0 : (1 << (8 * UInt64(n - 8))) &- 1
        return (w0 & m0, w1 & m1)
    }

    mutating func add(_ p: UnsafePointer<UInt8>, _ n: Int, count c: UInt64) {
        let (k0, k1) = Self.inlineKey(p, n)
        add(p, n, hash: hashBytes(p, n), k0: k0, k1: k1, count: c)
    }

    /// The slot where a key with hash `h` starts probing (for warming the cache before `add`).
    @inline(__always)
    func probeStart(_ h: UInt64) -> UInt64 {
        slots.withUnsafeBufferPointer { $0[Int(truncatingIfNeeded: h) & mask].tagLen }
    }

    /// Adds `c` to the key of `n` bytes at `p` (hash `h`, first 16 bytes `k0`, `k1` as from `inlineKey`).
    @inline(__always)
    mutating func add(_ p: UnsafePointer<UInt8>, _ n: Int, hash h: UInt64, k0: UInt64, k1: UInt64, count c: UInt64) {
        let tl = (h & 0xFFFF_FFFF_0000_0000) | 0x8000_0000 | UInt64(n)
        var i = Int(truncatingIfNeeded: h) & mask
        let long = n > Self.inlineBytes
        let found: Bool = slots.withUnsafeMutableBufferPointer { sl in
            while true {
                let s = sl[i]
                if s.tagLen == 0 { return false }
                if s.tagLen == tl && s.k0 == k0 {
                    if !long {
                        if s.k1 == k1 { sl[i].count &+= c; return true }
                    } else if arena.withUnsafeBufferPointer({ memEqual($0.baseAddress! + Int(s.k1), p, n) }) {
                        sl[i].count &+= c; return true
                    }
                }
                i = (i &+ 1) & mask
            }
        }
        if found { return }
        var second = k1
        if long {
            second = UInt64(arena.count)
            arena.append(contentsOf: UnsafeBufferPointer(start: p, count: n))
        }
        slots[i] = Slot(tagLen: tl, count: c, k0: k0, k1: second)
        count += 1
        if count * 4 > slots.count * 3 { grow() }
    }

    private mutating func grow() {
        let old = slots
        slots = [Slot](repeating: Slot(tagLen: 0, count: 0, k0: 0, k1: 0), count: old.count * 2)
        mask = slots.count - 1
        for s in old where s.tagLen != 0 {
            let n = Int(s.tagLen & 0x7FFF_FFFF)
            let h: UInt64
            if n > Self.inlineBytes {
                h = arena.withUnsafeBufferPointer { hashBytes($0.baseAddress! + Int(s.k1), n) }
            } else {
                var k = (s.k0.littleEndian, s.k1.littleEndian)
                h = withUnsafeBytes(of: &k) { hashBytes($0.baseAddress!.assumingMemoryBound(to: UInt8.self), n) }
            }
            var i = Int(truncatingIfNeeded: h) & mask
            while slots[i].tagLen != 0 { i = (i + 1) & mask }
            slots[i] = s
        }
    }

    /// A read-only view without reference counting, for hot loops on several threads (retaining the
    /// same arrays from two cores makes them fight over one cache line). Valid while this counter is
    /// alive and unchanged.
    // @unchecked Sendable: read-only pointers, shared only inside `withView`, while nothing mutates the counter.
    struct View: @unchecked Sendable {
        let slots: UnsafePointer<Slot>
        let arena: UnsafePointer<UInt8>

        @inline(__always) func count(at i: Int) -> UInt64 { slots[i].count }

        @inline(__always)
        func withKey<R>(at i: Int, _ body: (UnsafePointer<UInt8>, Int) -> R) -> R {
            let s = slots[i]
            let n = Int(s.tagLen & 0x7FFF_FFFF)
            if n > WordCounter.inlineBytes { return body(arena + Int(s.k1), n) }
            var k = (s.k0.littleEndian, s.k1.littleEndian)
            return withUnsafeBytes(of: &k) { body($0.baseAddress!.assumingMemoryBound(to: UInt8.self), n) }
        }
    }

    /// Calls `body` with a view of this counter.
    func withView<R>(_ body: (View) throws -> R) rethrows -> R {
        try slots.withUnsafeBufferPointer { sl in
            try arena.withUnsafeBufferPointer { ar in
                try body(View(slots: sl.baseAddress!, arena: ar.baseAddress ?? UnsafePointer(bitPattern: 16)!))
            }
        }
    }

    /// Adds every entry of `other`.
    mutating func merge(_ other: WordCounter) {
        other.forEach { p, n, c in add(p, n, count: c) }
    }
}

@inline(__always)
func memEqual(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ n: Int) -> Bool {
    var i = 0
    let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
    while i + 8 <= n {
        if ra.loadUnaligned(fromByteOffset: i, as: UInt64.self) != rb.loadUnaligned(fromByteOffset: i, as: UInt64.self) { return false }
        i += 8
    }
    while i < n { if a[i] != b[i] { return false }; i += 1 }
    return true
}

/// Words waiting to be counted: their bytes (with 16 bytes of slack, so keys load without bounds
/// checks) and where they start. Counting a batch first touches every word's slot, so the cache misses
/// of a batch overlap instead of queueing one after another. One owner (not copyable): the buffers are
/// freed when it ends.
struct WordBatch: ~Copyable {
    private(set) var bytes: UnsafeMutablePointer<UInt8>
    private(set) var capacity: Int
    /// Bytes written so far (the caller writes words at `bytes + used` and then calls `endWord`).
    var used = 0
    private var starts: UnsafeMutablePointer<Int>
    private var hashes: UnsafeMutablePointer<UInt64>
    private var words = 0
    /// Sum of the cache-warming loads (read by the caller, so they are not optimised away).
    private(set) var warmed: UInt64 = 0
    static let maxWords = 64

    init(capacity: Int = 1 << 16) {
        self.capacity = capacity
        bytes = .allocate(capacity: capacity + 16)
        bytes.initialize(repeating: 0, count: capacity + 16)
        starts = .allocate(capacity: Self.maxWords + 1)
        hashes = .allocate(capacity: Self.maxWords)
    }

    deinit { bytes.deallocate(); starts.deallocate(); hashes.deallocate() }

    /// Makes room for `n` more bytes (flushing into `shards` or growing as needed).
    @inline(__always)
    mutating func reserve(_ n: Int, _ shards: inout [WordCounter]) {
        if used + n <= capacity { return }
        flush(&shards)
        if n > capacity {
            bytes.deallocate()
            capacity = n * 2
            bytes = .allocate(capacity: capacity + 16)
            bytes.initialize(repeating: 0, count: capacity + 16)
        }
    }

    /// Ends the word that occupies bytes[start ..< used].
    @inline(__always)
    mutating func endWord(from start: Int, _ shards: inout [WordCounter]) {
        starts[words] = start
        words += 1
        if words == Self.maxWords { flush(&shards) }
    }

    /// Appends a copy of a word.
    mutating func append(_ p: UnsafePointer<UInt8>, _ n: Int, _ shards: inout [WordCounter]) {
        reserve(n, &shards)
        let start = used
        (bytes + used).update(from: p, count: n)
        used += n
        endWord(from: start, &shards)
    }

    /// Counts every pending word into its shard.
    mutating func flush(_ shards: inout [WordCounter]) {
        let k = words
        if k > 0 {
            starts[k] = used
            let nShards = UInt64(shards.count)
            // Word j is bytes[starts[j] ..< starts[j + 1]], and the shard index is below shards.count by
            // construction: wrapping arithmetic and the shards' buffer, without per-word checks.
            for j in 0..<k { hashes[j] = hashBytes(bytes + starts[j], starts[j &+ 1] &- starts[j]) }
            let (b, st, hs) = (bytes, starts, hashes)
            var warm = warmed
            shards.withUnsafeMutableBufferPointer { sh in
                for j in 0..<k {
                    let h = hs[j]
                    warm &+= sh[Int(((h >> 32) &* nShards) >> 32)].probeStart(h)
                }
                for j in 0..<k {
                    let h = hs[j], p = b + st[j], n = st[j &+ 1] &- st[j]
                    let (k0, k1) = WordCounter.inlineKeyPadded(p, n)
                    sh[Int(((h >> 32) &* nShards) >> 32)].add(p, n, hash: h, k0: k0, k1: k1, count: 1)
                }
            }
            warmed = warm
        }
        words = 0
        used = 0
    }
}
