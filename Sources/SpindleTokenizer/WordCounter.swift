// Counting unique words (byte strings) with 64-bit counts: open addressing over one key arena, one
// counter per thread, merged at the end. A slot holds 32 bits of the hash next to the entry index, so
// a probe rejects non-matching entries without touching them.

struct WordCounter {
    struct Entry {
        var keyStart: Int
        var hash: UInt64
        var count: UInt64
        var keyLen: Int32
    }
    private(set) var arena: [UInt8] = []
    private(set) var entries: [Entry] = []
    private var slots: [UInt64]          // (hash >> 32) << 32 | (entry + 1); 0 = empty
    private var mask: Int

    init(capacity: Int = 1 << 16) {
        var c = 16
        while c < capacity * 2 { c <<= 1 }
        slots = [UInt64](repeating: 0, count: c)
        mask = c - 1
    }

    var count: Int { entries.count }
    var counts: LazyMapSequence<[Entry], UInt64> { entries.lazy.map(\.count) }
    func countOf(_ i: Int) -> UInt64 { entries[i].count }
    func keyStart(_ i: Int) -> Int { entries[i].keyStart }
    func keyLen(_ i: Int) -> Int { Int(entries[i].keyLen) }
    func hash(_ i: Int) -> UInt64 { entries[i].hash }
    func key(_ i: Int) -> ArraySlice<UInt8> { arena[entries[i].keyStart..<(entries[i].keyStart + Int(entries[i].keyLen))] }

    mutating func add(_ p: UnsafePointer<UInt8>, _ n: Int, count c: UInt64) {
        add(p, n, hash: hashBytes(p, n), count: c)
    }

    mutating func add(_ p: UnsafePointer<UInt8>, _ n: Int, hash h: UInt64, count c: UInt64) {
        let tag = h & 0xFFFF_FFFF_0000_0000
        var i = Int(truncatingIfNeeded: h) & mask
        let found: Int = slots.withUnsafeBufferPointer { sl in
            entries.withUnsafeBufferPointer { en in
                arena.withUnsafeBufferPointer { ar in
                    while true {
                        let v = sl[i]
                        if v == 0 { return -1 }
                        if v & 0xFFFF_FFFF_0000_0000 == tag {
                            let e = Int(v & 0xFFFF_FFFF) - 1
                            let ent = en[e]
                            if ent.hash == h && Int(ent.keyLen) == n {
                                let kp = ar.baseAddress! + ent.keyStart
                                var k = 0
                                while k < n && kp[k] == p[k] { k += 1 }
                                if k == n { return e }
                            }
                        }
                        i = (i + 1) & mask
                    }
                }
            }
        }
        if found >= 0 { entries[found].count &+= c; return }
        entries.append(Entry(keyStart: arena.count, hash: h, count: c, keyLen: Int32(n)))
        arena.append(contentsOf: UnsafeBufferPointer(start: p, count: n))
        slots[i] = tag | UInt64(entries.count)
        if entries.count * 2 > slots.count { grow() }
    }

    private mutating func grow() {
        slots = [UInt64](repeating: 0, count: slots.count * 2)
        mask = slots.count - 1
        for (e, ent) in entries.enumerated() {
            var i = Int(truncatingIfNeeded: ent.hash) & mask
            while slots[i] != 0 { i = (i + 1) & mask }
            slots[i] = (ent.hash & 0xFFFF_FFFF_0000_0000) | UInt64(e + 1)
        }
    }

    /// Adds every entry of `other`.
    mutating func merge(_ other: WordCounter) {
        if other.count == 0 { return }
        other.arena.withUnsafeBufferPointer { ar in
            for ent in other.entries {
                add(ar.baseAddress! + ent.keyStart, Int(ent.keyLen), hash: ent.hash, count: ent.count)
            }
        }
    }
}
