// Counting unique words (byte strings) with 64-bit counts: open addressing over one key arena, one
// counter per thread, merged at the end.

struct WordCounter {
    private(set) var arena: [UInt8] = []
    private(set) var keyStart: [Int] = []
    private(set) var keyLen: [Int32] = []
    private(set) var hashes: [UInt64] = []
    private(set) var counts: [UInt64] = []
    private var slots: [Int32]
    private var mask: Int

    init(capacity: Int = 1 << 16) {
        var c = 16
        while c < capacity * 2 { c <<= 1 }
        slots = [Int32](repeating: -1, count: c)
        mask = c - 1
    }

    var count: Int { counts.count }

    func key(_ i: Int) -> ArraySlice<UInt8> { arena[keyStart[i]..<(keyStart[i] + Int(keyLen[i]))] }

    mutating func add(_ p: UnsafePointer<UInt8>, _ n: Int, count c: UInt64) {
        add(p, n, hash: hashBytes(p, n), count: c)
    }

    mutating func add(_ p: UnsafePointer<UInt8>, _ n: Int, hash h: UInt64, count c: UInt64) {
        var i = Int(truncatingIfNeeded: h) & mask
        let found: Int32 = slots.withUnsafeBufferPointer { sl in
            arena.withUnsafeBufferPointer { ar in
                while true {
                    let e = sl[i]
                    if e < 0 { return -1 }
                    let ei = Int(e)
                    if hashes[ei] == h && Int(keyLen[ei]) == n {
                        let kp = ar.baseAddress! + keyStart[ei]
                        var k = 0
                        while k < n && kp[k] == p[k] { k += 1 }
                        if k == n { return e }
                    }
                    i = (i + 1) & mask
                }
            }
        }
        if found >= 0 { counts[Int(found)] &+= c; return }
        let e = Int32(counts.count)
        keyStart.append(arena.count); keyLen.append(Int32(n)); hashes.append(h); counts.append(c)
        arena.append(contentsOf: UnsafeBufferPointer(start: p, count: n))
        slots[i] = e
        if counts.count * 2 > slots.count { grow() }
    }

    private mutating func grow() {
        slots = [Int32](repeating: -1, count: slots.count * 2)
        mask = slots.count - 1
        for e in 0..<hashes.count {
            var i = Int(truncatingIfNeeded: hashes[e]) & mask
            while slots[i] >= 0 { i = (i + 1) & mask }
            slots[i] = Int32(e)
        }
    }

    /// Adds every entry of `other`.
    mutating func merge(_ other: WordCounter) {
        other.arena.withUnsafeBufferPointer { ar in
            for e in 0..<other.count {
                add(ar.baseAddress! + other.keyStart[e], Int(other.keyLen[e]), hash: other.hashes[e], count: other.counts[e])
            }
        }
    }
}
