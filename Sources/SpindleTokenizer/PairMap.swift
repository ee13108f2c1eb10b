// Pairs of adjacent symbols as 64-bit keys, and the open-addressing map from a key to its dense pair id.

extension BPETrainer {
    @inline(__always)
    static func pairKey(_ a: Int32, _ b: Int32) -> UInt64 { UInt64(UInt32(bitPattern: a)) << 32 | UInt64(UInt32(bitPattern: b)) }

    @inline(__always)
    static func pairHash(_ key: UInt64) -> Int {
        var h = key &* 0x9E37_79B9_7F4A_7C15
        h ^= h >> 31
        return Int(truncatingIfNeeded: h)
    }
}

/// Pair key (`BPETrainer.pairKey`) -> dense id, open addressing over slots that hold the key, so a
/// lookup reads one slot.
struct PairMap {
    struct Slot { var key: UInt64; var id: Int32 }
    private var slots: [Slot]
    private var mask: Int
    private(set) var count = 0

    init(capacity: Int) {
        var c = 16
        while c < capacity * 2 { c <<= 1 }
        slots = [Slot](repeating: Slot(key: 0, id: -1), count: c)
        mask = c - 1
    }

    /// The first slot `key` probes (loaded ahead of `index` to warm the cache).
    @inline(__always)
    func probe(_ key: UInt64) -> UInt64 { slots[BPETrainer.pairHash(key) & mask].key }

    /// The id of `key`; a new key gets the next id (`inserted`).
    @inline(__always)
    mutating func index(_ key: UInt64) -> (id: Int, inserted: Bool) {
        var i = BPETrainer.pairHash(key) & mask
        while true {
            let s = slots[i]
            if s.id < 0 { break }
            if s.key == key { return (Int(s.id), false) }
            i = (i + 1) & mask
        }
        let id = count
        slots[i] = Slot(key: key, id: Int32(id))
        count += 1
        if count * 2 > slots.count {
            let old = slots
            slots = [Slot](repeating: Slot(key: 0, id: -1), count: old.count * 2)
            mask = slots.count - 1
            for s in old where s.id >= 0 {
                var j = BPETrainer.pairHash(s.key) & mask
                while slots[j].id >= 0 { j = (j + 1) & mask }
                slots[j] = s
            }
        }
        return (id, true)
    }
}
