// The merge loop's choice of the next pair: a lazy binary max-heap over (count, pair) entries.
//
// Lazy: an entry keeps the count it was pushed with, and counts change under it. A pair is pushed again
// when its count grows; a popped entry whose count is stale is pushed again with the current count
// when that is lower (or dropped), so the entry that pops with its current count is the best pair.
// Only pairs counted at least `floor` times are in the heap: most pairs a merge creates are rare and
// never merged, so they wait in the pair table. When the heap runs dry the floor is lowered and the
// pairs that reach it are pushed (the heap top is still the best pair of all).

/// What the heap asks of its owner: how many pairs there are, each pair's current count, and the order.
protocol PairOrder {
    var pairCount: Int { get }
    func count(of pair: Int32) -> Int64
    /// Whether `x` comes before `y`; a total order, so the result never depends on push order.
    func better(_ x: PairHeap.Entry, _ y: PairHeap.Entry) -> Bool
}

struct PairHeap {
    struct Entry { var count: Int64; var pair: Int32 }
    private var heap: [Entry] = []
    /// Pairs counted fewer times are not in the heap.
    private(set) var floor: Int64

    /// A heap of every pair counted at least 1/256 of the highest count.
    init<O: PairOrder>(_ o: O) {
        heap.reserveCapacity(o.pairCount)
        var highest: Int64 = 0
        for p in 0..<o.pairCount { highest = max(highest, o.count(of: Int32(p))) }
        floor = max(1, highest / 256)
        for p in 0..<o.pairCount where o.count(of: Int32(p)) >= floor { push(Entry(count: o.count(of: Int32(p)), pair: Int32(p)), o) }
    }

    /// The best pair with a positive count and its count, or nil when no pair has one.
    mutating func popBest<O: PairOrder>(_ o: O) -> Entry? {
        while true {
            if heap.isEmpty {
                if floor <= 1 { return nil }
                lowerFloor(o)
                continue
            }
            let top = pop(o)
            let cur = o.count(of: top.pair)
            if top.count != cur {
                if cur >= floor && top.count > cur { push(Entry(count: cur, pair: top.pair), o) }
                continue
            }
            if cur <= 0 { continue }
            return top
        }
    }

    /// Tells the heap that `pair`'s count changed from `before` to `now`.
    @inline(__always)
    mutating func counted<O: PairOrder>(_ pair: Int32, from before: Int64, to now: Int64, _ o: O) {
        if now > before && now >= floor { push(Entry(count: now, pair: pair), o) }
    }

    private mutating func lowerFloor<O: PairOrder>(_ o: O) {
        let old = floor
        floor = max(1, floor / 4)
        for p in 0..<o.pairCount {
            let c = o.count(of: Int32(p))
            if c >= floor && c < old { push(Entry(count: c, pair: Int32(p)), o) }
        }
    }

    // The sift loops index the heap through its buffer (indices stay below its count by construction):
    // the array's bounds checks cost ~10% of the merge loop's instructions (callgrind, 3 MB, 32K pieces).
    private mutating func push<O: PairOrder>(_ e: Entry, _ o: O) {
        heap.append(e)
        heap.withUnsafeMutableBufferPointer { h in
            var k = h.count &- 1
            while k > 0 {
                let p = (k &- 1) >> 1
                if !o.better(h[k], h[p]) { break }
                h.swapAt(k, p); k = p
            }
        }
    }

    private mutating func pop<O: PairOrder>(_ o: O) -> Entry {
        let top = heap[0]
        let last = heap.removeLast()
        if heap.isEmpty { return top }
        heap.withUnsafeMutableBufferPointer { h in
            h[0] = last
            var k = 0
            let n = h.count
            while true {
                let l = 2 &* k &+ 1
                if l >= n { break }
                var c = l
                if l &+ 1 < n, o.better(h[l &+ 1], h[l]) { c = l &+ 1 }
                if !o.better(h[c], h[k]) { break }
                h.swapAt(k, c); k = c
            }
        }
        return top
    }
}

extension MergeState: PairOrder {
    var pairCount: Int { pairs.count }

    @inline(__always)
    func count(of pair: Int32) -> Int64 { pairs[Int(pair)].count }

    /// sentencepiece's order: higher frequency, then shorter piece (code points), then smaller string;
    /// then smaller (left, right) symbol ids, so the order is total and never depends on push order.
    @inline(__always)
    func better(_ x: PairHeap.Entry, _ y: PairHeap.Entry) -> Bool {
        if x.count != y.count { return x.count > y.count }
        // Heap entries name existing pairs and pairs existing symbols: read through the buffers unchecked.
        return pairs.withUnsafeBufferPointer { pb in
            symbols.info.withUnsafeBufferPointer { info in
                let xp = pb[Int(x.pair)], yp = pb[Int(y.pair)]
                let xl = BPETrainer.SymInfo.chars(info[Int(xp.left)]) &+ BPETrainer.SymInfo.chars(info[Int(xp.right)])
                let yl = BPETrainer.SymInfo.chars(info[Int(yp.left)]) &+ BPETrainer.SymInfo.chars(info[Int(yp.right)])
                if xl != yl { return xl < yl }
                if let less = symbols.concatLess(xp.left, xp.right, yp.left, yp.right) { return less }
                return xp.left != yp.left ? xp.left < yp.left : xp.right < yp.right
            }
        }
    }
}
