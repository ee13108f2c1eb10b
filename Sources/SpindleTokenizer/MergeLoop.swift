// Step 4 of training: the merges. Each merge takes the best pair from the heap, rewrites only the words
// that hold it (on several threads when there are many), and applies the pair-count changes around the
// merged positions to the pair table. The corpus is never recounted.
import SpindleIO

extension BPETrainer {
    /// Learns up to `target` merges; the symbols of new pieces go to `merged`, in merge order.
    func mergeLoop(_ st: inout MergeState, target: Int, into merged: inout [Int32]) {
        let rules = self.rules
        var heap = PairHeap(st)
        let threads = max(1, min(options.numThreads, 16))
        let deltas = (0..<threads).map { _ in MergeDeltas() }
        var lastProgress = monotonicSeconds()
        var scratch = DeltaScratch()
        defer { warmLoads &+= scratch.warm }
        while merged.count < target {
            guard let top = heap.popBest(st) else { break }
            let p = Int(top.pair)
            let cur = top.count
            let a = st.pairs[p].left, b = st.pairs[p].right
            let c = mergedSymbol(&st, a, b, into: &merged)
            // Rewrite every word holding (a, b); the pair-count changes around each merged position
            // are summed per pair first, so the global table is updated once per distinct pair.
            let list = st.pairWhere[p]
            st.pairWhere[p] = []
            let parts = list.count >= options.parallelRewriteThreshold ? threads : 1
            rewriteWords(&st, list, a, b, c, parts: parts, deltas: deltas, rules: rules)
            for t in 0..<parts { applyDeltas(deltas[t], mergedPair: p, to: &st, heap: &heap, scratch: &scratch) }
            let now = monotonicSeconds()
            if now - lastProgress > 5 {
                lastProgress = now
                log("merges \(merged.count)/\(target), last \(st.symbols.string(c).debugDescription) freq \(cur)")
            }
        }
    }

    /// The merged symbol of a and b: an existing one when this string was already reached another way,
    /// else a new one (appended to `merged`).
    private func mergedSymbol(_ st: inout MergeState, _ a: Int32, _ b: Int32, into merged: inout [Int32]) -> Int32 {
        let bytes = Array(st.symbols.utf8(a)) + Array(st.symbols.utf8(b))
        if let existing = st.symbols.id(of: bytes) { return existing }
        let c = st.symbols.add(bytes, info: SymInfo.concat(st.symbols.info[Int(a)], st.symbols.info[Int(b)]))
        merged.append(c)
        return c
    }

    /// Rewrites the words (header offsets) in `list`, merging (a, b) into c, and sums the pair-count
    /// changes into `deltas[0 ..< parts]` (one per thread).
    private func rewriteWords(_ st: inout MergeState, _ list: [Int32], _ a: Int32, _ b: Int32, _ c: Int32,
                              parts: Int, deltas: [MergeDeltas], rules: Rules) {
        // With several threads, each rewrites the words in its own range of offsets (a word may
        // appear twice in a list; rewriting it again is a no-op, and no word is shared).
        var bounds = [Int32](repeating: Int32.max, count: parts + 1)
        bounds[0] = Int32.min
        if parts > 1 {
            let step = max(1, list.count / 256)
            var sample: [Int32] = []
            for k in stride(from: 0, to: list.count, by: step) { sample.append(list[k]) }
            sample.sort()
            for t in 1..<parts { bounds[t] = sample[sample.count * t / parts] }
        }
        let cc = c, rl = rules, bnd = bounds
        st.syms.withUnsafeMutableBufferPointer { symsBuf in
            st.symbols.info.withUnsafeBufferPointer { infoBuf in
                // Safe to share (nonisolated(unsafe)): the buffers outlive the parallel loop, the
                // threads only read `info` and `lst`, and each writes only the words in its own range.
                nonisolated(unsafe) let syms = symsBuf.baseAddress!
                let symCount = symsBuf.count
                nonisolated(unsafe) let info = infoBuf.baseAddress!
                list.withUnsafeBufferPointer { lb in
                    nonisolated(unsafe) let lst = lb   // safe: read-only, and `list` outlives the parallel loop
                    let work: @Sendable (Int) -> Void = { (t: Int) in
                        let d = deltas[t]
                        d.reset(a: a, b: b)
                        let lo = bnd[t], hi = bnd[t + 1]
                        var lastW: Int32 = -1
                        // Words are scattered over the arena: load a block of them first (the
                        // loads miss the cache in parallel), then rewrite them from the cache.
                        let block = 16
                        let last = symCount - 1
                        var sink: Int32 = 0
                        var k0 = 0
                        while k0 < lst.count {
                            let k1 = min(lst.count, k0 + block)
                            for k in k0..<k1 {
                                let h = Int(lst[k])
                                sink &+= syms[h] &+ syms[min(h + 15, last)]
                            }
                            for k in k0..<k1 {
                                let w = lst[k]
                                if w < lo || w >= hi || w == lastW { continue }
                                lastW = w
                                rewriteWord(syms, at: Int(w), a, b, cc) { x, y, delta in
                                    d.add(x, y, delta, word: w, info: info, rules: rl)
                                }
                            }
                            k0 = k1
                        }
                        d.sink = sink
                    }
                    Parallel(threads: parts).forEach(parts, work)
                }
            }
        }
    }

    /// Applies one thread's pair-count changes to the pair table (and the heap), and adds the words
    /// that gained each pair to its list.
    @inline(__always)
    private func applyDeltas(_ d: MergeDeltas, mergedPair p: Int, to st: inout MergeState, heap: inout PairHeap,
                             scratch: inout DeltaScratch) {
        st.pairs[p].count += d.selfDelta
        d.groupGains(into: &scratch.gathered)
        // The pairs of a block of entries are looked up together and their records loaded
        // ahead, so the cache misses on the large pair tables overlap.
        let flushBlock = DeltaScratch.flushBlock
        var k0 = 0
        while k0 < d.count {
            let k1 = min(d.count, k0 + flushBlock)
            for k in k0..<k1 { scratch.warm &+= st.pairMap.probe(d.keys[k]) }
            for k in k0..<k1 {
                scratch.qs[k - k0] = d.sums[k] == 0 && d.gains(k).isEmpty ? -1 : st.pairIndex(d.keys[k])
            }
            for k in k0..<k1 where scratch.qs[k - k0] >= 0 {
                let q = scratch.qs[k - k0]
                scratch.warm &+= UInt64(bitPattern: st.pairs[q].count) &+ UInt64(st.pairWhere[q].count)
            }
            for k in k0..<k1 where scratch.qs[k - k0] >= 0 {
                let sum = d.sums[k]
                let g = d.gains(k)
                let q = scratch.qs[k - k0]
                let before = st.pairs[q].count
                st.pairs[q].count = before + sum
                if !g.isEmpty {
                    if st.pairWhere[q].isEmpty {
                        st.pairWhere[q] = Array(scratch.gathered[g])
                    } else {
                        var from = g.lowerBound
                        if st.pairWhere[q].last == scratch.gathered[from] { from += 1 }
                        st.pairWhere[q].append(contentsOf: scratch.gathered[from..<g.upperBound])
                    }
                }
                heap.counted(Int32(q), from: before, to: st.pairs[q].count, st)
            }
            k0 = k1
        }
    }
}

/// Buffers reused by every `applyDeltas`, and the sum of its cache-warming loads.
struct DeltaScratch {
    static let flushBlock = 32
    var gathered: [Int32] = []
    var qs = [Int](repeating: -1, count: flushBlock)
    var warm: UInt64 = 0
}

/// Rewrites the word at header offset `h`, merging every (a, b) into c left to right, and reports the
/// pair-count changes around each merged position through `emit(x, y, delta)` (delta = ± the word's count).
@inline(__always)
func rewriteWord(_ syms: UnsafeMutablePointer<Int32>, at h: Int, _ a: Int32, _ b: Int32, _ c: Int32,
                 _ emit: (Int32, Int32, Int64) -> Void) {
    // Offsets are within the word (length n < 2^31, header at h inside the arena): wrapping arithmetic
    // drops the overflow checks from the hottest loop of training.
    let n = Int(syms[h])
    let s = syms + (h &+ Word.header)
    var o = 0, i = 0
    var changed = false
    var wc: Int64 = 0
    while i < n {
        if i &+ 1 < n && s[i] == a && s[i &+ 1] == b {
            if !changed { changed = true; wc = Int64(Word.count(syms, h)) }
            if o > 0 {
                let x = s[o &- 1]
                emit(x, a, 0 &- wc)
                emit(x, c, wc)
            }
            if i &+ 2 < n {
                let y = s[i &+ 2]
                emit(b, y, 0 &- wc)
                emit(c, y, wc)
            }
            emit(a, b, 0 &- wc)
            s[o] = c
            o &+= 1; i &+= 2
        } else {
            if changed { s[o] = s[i] }
            o &+= 1; i &+= 1
        }
    }
    if changed { syms[h] = Int32(truncatingIfNeeded: o) }
}
