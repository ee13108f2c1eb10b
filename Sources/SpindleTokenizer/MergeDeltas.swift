// The pair-count changes of one merge, gathered per thread while the words are rewritten and then
// applied to the global pair table once per distinct pair.

/// The pair-count changes of one merge, summed per pair in first-seen order, with the words that gained
/// each pair. Small and reused from merge to merge, so the millions of changes of an early merge are
/// summed in cache and the global pair table is consulted once per distinct pair.
// @unchecked Sendable: worker t alone uses deltas[t] during a rewrite; the merging thread reads it after the join.
// Its stored properties are `@exclusivity(unchecked)`: they are touched millions of times per merge from
// one thread, and the runtime's dynamic exclusivity checks on class properties were measured (callgrind,
// 2,000-piece training on 500 KB) at 1.6 M of the 2.3 M instructions -O added over -Ounchecked in the loop.
final class MergeDeltas: @unchecked Sendable {
    @exclusivity(unchecked) private(set) var keys: UnsafeMutablePointer<UInt64>
    @exclusivity(unchecked) private(set) var sums: UnsafeMutablePointer<Int64>
    @exclusivity(unchecked) private var lastWord: UnsafeMutablePointer<Int32>
    @exclusivity(unchecked) private var slotOf: UnsafeMutablePointer<Int>
    @exclusivity(unchecked) private(set) var count = 0
    @exclusivity(unchecked) private var capacity: Int
    @exclusivity(unchecked) private var slots: UnsafeMutablePointer<Int32>   // entry index, -1 = empty
    @exclusivity(unchecked) private var mask: Int
    /// Keeps the cache-warming loads of the rewrite loop alive.
    @exclusivity(unchecked) var sink: Int32 = 0
    /// Changes of the merged pair itself.
    @exclusivity(unchecked) private(set) var selfDelta: Int64 = 0
    @exclusivity(unchecked) private var selfKey: UInt64 = 0
    @exclusivity(unchecked) private var gainEntry: UnsafeMutablePointer<Int32>
    @exclusivity(unchecked) private var gainWord: UnsafeMutablePointer<Int32>
    @exclusivity(unchecked) private var gains = 0
    @exclusivity(unchecked) private var gainCapacity = 1024
    /// After `groupGains`: entry k's words are gathered[gainStart[k] ..< gainStart[k + 1]].
    @exclusivity(unchecked) private var gainStart: [Int] = []
    @exclusivity(unchecked) private var next: [Int] = []

    init(capacity: Int = 1024) {
        self.capacity = capacity
        keys = .allocate(capacity: capacity); sums = .allocate(capacity: capacity)
        lastWord = .allocate(capacity: capacity); slotOf = .allocate(capacity: capacity)
        slots = .allocate(capacity: capacity * 2)
        slots.initialize(repeating: -1, count: capacity * 2)
        mask = capacity * 2 - 1
        gainEntry = .allocate(capacity: gainCapacity); gainWord = .allocate(capacity: gainCapacity)
    }

    deinit {
        keys.deallocate(); sums.deallocate(); lastWord.deallocate(); slotOf.deallocate(); slots.deallocate()
        gainEntry.deallocate(); gainWord.deallocate()
    }

    func reset(a: Int32, b: Int32) {
        for k in 0..<count { slots[slotOf[k]] = -1 }
        count = 0
        selfDelta = 0
        selfKey = BPETrainer.pairKey(a, b)
        gains = 0
    }

    /// Records `delta` for pair (x, y) in word `w` (pairs that cannot become pieces are ignored).
    @inline(__always)
    func add(_ x: Int32, _ y: Int32, _ delta: Int64, word w: Int32, info: UnsafePointer<UInt32>, rules: BPETrainer.Rules) {
        let key = BPETrainer.pairKey(x, y)
        if key == selfKey { selfDelta &+= delta; return }
        if !rules.valid(info[Int(x)], info[Int(y)]) { return }
        if count == capacity { grow() }   // room for one more entry, so the probe below never has to restart
        var i = BPETrainer.pairHash(key) & mask
        var e: Int
        while true {
            let s = slots[i]
            if s < 0 {
                e = count
                count &+= 1
                slots[i] = Int32(e); slotOf[e] = i
                keys[e] = key; sums[e] = 0; lastWord[e] = -1
                break
            }
            if keys[Int(s)] == key { e = Int(s); break }
            i = (i &+ 1) & mask
        }
        sums[e] &+= delta
        if delta > 0 && lastWord[e] != w {
            lastWord[e] = w
            if gains == gainCapacity { growGains() }
            gainEntry[gains] = Int32(e); gainWord[gains] = w
            gains &+= 1
        }
    }

    @inline(never)
    private func growGains() {
        let newCap = gainCapacity * 2
        let e = UnsafeMutablePointer<Int32>.allocate(capacity: newCap), w = UnsafeMutablePointer<Int32>.allocate(capacity: newCap)
        e.moveInitialize(from: gainEntry, count: gains); w.moveInitialize(from: gainWord, count: gains)
        gainEntry.deallocate(); gainWord.deallocate()
        gainEntry = e; gainWord = w
        gainCapacity = newCap
    }

    @inline(never)
    private func grow() {
        let newCap = capacity * 2
        func move<T>(_ p: UnsafeMutablePointer<T>) -> UnsafeMutablePointer<T> {
            let q = UnsafeMutablePointer<T>.allocate(capacity: newCap)
            q.moveInitialize(from: p, count: count)
            p.deallocate()
            return q
        }
        keys = move(keys); sums = move(sums); lastWord = move(lastWord); slotOf = move(slotOf)
        slots.deallocate()
        slots = .allocate(capacity: newCap * 2)
        slots.initialize(repeating: -1, count: newCap * 2)
        mask = newCap * 2 - 1
        capacity = newCap
        for e in 0..<count {
            var i = BPETrainer.pairHash(keys[e]) & mask
            while slots[i] >= 0 { i = (i + 1) & mask }
            slots[i] = Int32(e); slotOf[e] = i
        }
    }

    /// Groups the gained words by entry (stable), into `gathered`.
    func groupGains(into gathered: inout [Int32]) {
        gainStart.removeAll(keepingCapacity: true)
        gainStart.append(contentsOf: repeatElement(0, count: count + 1))
        gathered.removeAll(keepingCapacity: true)
        gathered.append(contentsOf: repeatElement(0, count: gains))
        next.removeAll(keepingCapacity: true)
        next.append(contentsOf: repeatElement(0, count: count + 1))
        // Entry ids are < count and there are `gains` words: every index below is in range.
        let (entry, word, g, n) = (gainEntry, gainWord, gains, count)
        gainStart.withUnsafeMutableBufferPointer { start in
            next.withUnsafeMutableBufferPointer { nx in
                gathered.withUnsafeMutableBufferPointer { out in
                    for j in 0..<g { start[Int(entry[j]) &+ 1] &+= 1 }
                    for k in 0..<n { start[k &+ 1] &+= start[k] }
                    for k in 0...n { nx[k] = start[k] }
                    for j in 0..<g {
                        let e = Int(entry[j])
                        out[nx[e]] = word[j]
                        nx[e] &+= 1
                    }
                }
            }
        }
    }

    /// Range of entry k's gained words in the array filled by `groupGains`.
    func gains(_ k: Int) -> Range<Int> { gainStart[k]..<gainStart[k + 1] }
}
