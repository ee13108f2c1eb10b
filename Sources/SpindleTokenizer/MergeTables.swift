// Step 3 of training: the merge tables. The counted words become symbol sequences (split at characters
// outside the alphabet), stored inline in one arena, with every valid pair's total count and the words
// that hold it. Built on all threads, each for a share of the words, then joined.
import SpindleIO

/// Words and pair statistics while merging. Each word lives inline in `syms` as a header (length,
/// count low, count high) followed by its symbols, and is named by its header's offset: visiting a
/// word touches one stretch of memory.
struct MergeState {
    var syms: [Int32] = []
    var wordCount = 0
    var pairs: [PairStat] = []
    /// Words (header offsets) holding each pair; may hold stale entries and repeats.
    var pairWhere: [[Int32]] = []
    /// Every symbol so far; merges add to it.
    var symbols: SymbolTable
    var pairMap = PairMap(capacity: 16)

    init(symbols: consuming SymbolTable) { self.symbols = symbols }

    /// Index of pair (a, b) (as `pairKey`), inserted when absent.
    @inline(__always)
    mutating func pairIndex(_ key: UInt64) -> Int {
        let (id, inserted) = pairMap.index(key)
        if inserted {
            pairs.append(PairStat(count: 0, left: Int32(truncatingIfNeeded: Int64(key >> 32)), right: Int32(truncatingIfNeeded: Int64(key & 0xFFFF_FFFF))))
            pairWhere.append([])
        }
        return id
    }
}

struct PairStat { var count: Int64; var left: Int32; var right: Int32 }

extension BPETrainer {
    /// The merge tables of the counted words (symbols from `charToSym`), pruned to the memory budget.
    func buildWords(_ words: [WordCounter], charToSym: [Int32], symbols: consuming SymbolTable) throws(TrainingError) -> MergeState {
        var st = MergeState(symbols: symbols)
        // Memory estimate: word symbols (syms + where lists), per-word arrays, pair tables.
        var totalChars = 0, wordCount = 0
        for shard in words {
            wordCount += shard.count
            for i in 0..<shard.capacity { totalChars += shard.length(at: i) }   // bytes >= chars: an upper bound
        }
        let minCount = pruningCount(words, totalChars: totalChars, wordCount: wordCount)
        var order = frequencyOrder(words, above: minCount)
        // Symbol sequences and pair statistics, built on every thread for a contiguous share of the
        // words (balanced by bytes), then joined in thread order.
        let threads = max(1, min(options.numThreads, 64))
        var cuts = [0]
        var acc = 0
        for (k, e) in order.enumerated() {
            acc += e.ref >> 48
            if cuts.count < threads && acc * threads >= totalChars * cuts.count { cuts.append(k + 1) }
        }
        while cuts.count <= threads { cuts.append(order.count) }
        cuts[threads] = order.count
        let parts = ThreadSlots<WordTablePart>(threads, WordTablePart())
        let rules = self.rules
        precondition(charToSym.count == 0x110000, "one symbol slot per code point")
        withViews(words) { views in
            let ord = order, cutsC = cuts
            let infoC = st.symbols.info
            charToSym.withUnsafeBufferPointer { c2sBuf in
                infoC.withUnsafeBufferPointer { infoBuf in
                    // Safe to share: read-only, and both arrays outlive the parallel loop.
                    nonisolated(unsafe) let c2s = c2sBuf, info = infoBuf
                    Parallel(threads: threads).forEach(threads) { t in
                        parts[t] = WordTablePart(views, ord[cutsC[t]..<cutsC[t + 1]], charToSym: c2s, info: info, rules: rules)
                    }
                }
            }
        }
        order = []
        try join(parts, threads: threads, into: &st)
        log("\(st.wordCount) word segments, \(st.syms.count - Word.header * st.wordCount) symbols, \(st.pairs.count) pairs")
        return st
    }

    /// Words seen at most this many times are dropped so the tables fit the memory budget (0: none).
    private func pruningCount(_ words: [WordCounter], totalChars: Int, wordCount: Int) -> UInt64 {
        let estimate = totalChars * 4 * 2 + wordCount * 32 + min(totalChars, 8 << 20) * 72
        stats.estimatedBytes = estimate
        log("memory estimate for the merge tables: \(estimate >> 20) MiB (\(wordCount) unique words, <= \(totalChars) symbols)")
        var minCount: UInt64 = 0
        if let budget = options.memoryBudget, estimate > budget {
            // Drop the rarest words until the estimate fits: counts sorted ascending, cut at the budget.
            var byCount: [(UInt64, Int)] = []
            for shard in words {
                for i in 0..<shard.capacity where shard.length(at: i) > 0 { byCount.append((shard.count(at: i), shard.length(at: i))) }
            }
            byCount.sort { $0.0 < $1.0 }
            var est = estimate
            for (c, l) in byCount {
                if est <= budget { break }
                est -= l * 8 + 32 + min(l, 8) * 72
                minCount = c
            }
            log("memory budget \(budget >> 20) MiB: pruning words seen <= \(minCount) times")
        }
        return minCount
    }

    /// The words seen more than `minCount` times, as (count, length << 48 | shard << 40 | slot).
    private func frequencyOrder(_ words: [WordCounter], above minCount: UInt64) -> [(count: UInt64, ref: Int)] {
        // Frequent words first (by powers of two of their count, a counting sort): they are rewritten
        // most often, so keeping them together helps the cache. (Word order never changes the result:
        // counts are sums and ties are broken by strings and symbol ids.)
        var perBucket = [Int](repeating: 0, count: 65)
        for shard in words {
            for i in 0..<shard.capacity where shard.length(at: i) > 0 && shard.count(at: i) > minCount {
                perBucket[shard.count(at: i).leadingZeroBitCount + 1] += 1
            }
        }
        for b in 1...64 { perBucket[b] += perBucket[b - 1] }
        var order = [(count: UInt64, ref: Int)](repeating: (0, 0), count: perBucket[64])
        for (s, shard) in words.enumerated() {
            for i in 0..<shard.capacity where shard.length(at: i) > 0 {
                let c = shard.count(at: i)
                if c <= minCount { stats.prunedWords += 1; continue }
                let b = c.leadingZeroBitCount
                order[perBucket[b]] = (c, min(shard.length(at: i), 0xFFFF) << 48 | s << 40 | i)
                perBucket[b] += 1
            }
        }
        return order
    }

    /// Joins the threads' parts into `st`: thread t's word offsets move by the symbols before it; pair ids are global.
    private func join(_ parts: ThreadSlots<WordTablePart>, threads: Int, into st: inout MergeState) throws(TrainingError) {
        st.pairMap = PairMap(capacity: 1 << 17)
        var ids: [[Int32]] = []
        var whereSize: [Int] = []
        for t in 0..<threads {
            let part = parts[t]
            var local: [Int32] = []
            local.reserveCapacity(part.pairKeys.count)
            for k in 0..<part.pairKeys.count {
                let q = st.pairIndex(part.pairKeys[k])
                if q >= whereSize.count { whereSize.append(0) }
                st.pairs[q].count += part.pairCounts[k]
                whereSize[q] += part.whereStart[k + 1] - part.whereStart[k]
                local.append(Int32(q))
            }
            ids.append(local)
        }
        for q in 0..<st.pairs.count { st.pairWhere[q].reserveCapacity(whereSize[q]) }
        for t in 0..<threads {
            let part = parts.take(t, replacement: WordTablePart())
            let base = st.syms.count
            guard base + part.syms.count <= Int(Int32.max) else {
                throw TrainingError("too many distinct word symbols for one merge table (over 2^31): pass --memory-budget to prune rare words")
            }
            if t == 0 { st.syms = part.syms } else { st.syms.append(contentsOf: part.syms) }
            st.wordCount += part.wordCount
            let shift = Int32(base)
            for k in 0..<part.pairKeys.count {
                let q = Int(ids[t][k])
                let slice = part.whereWords[part.whereStart[k]..<part.whereStart[k + 1]]
                if shift == 0 { st.pairWhere[q].append(contentsOf: slice) } else { st.pairWhere[q].append(contentsOf: slice.lazy.map { $0 + shift }) }
            }
        }
    }
}

/// One thread's share of the merge tables: the symbol sequences of its words (inline layout, see
/// `Word`) and their pairs with counts and the words holding each (grouped by pair, ascending).
struct WordTablePart {
    var syms: [Int32] = []
    var wordCount = 0
    var pairKeys: [UInt64] = []
    var pairCounts: [Int64] = []
    var whereStart: [Int] = [0]
    var whereWords: [Int32] = []
    /// Sum of the cache-warming loads (stored so they are not optimised away).
    var warmed: UInt64 = 0

    init() {}

    /// `charToSym` has one entry per code point (0 ..< 0x110000) and `info` one per symbol id it holds:
    /// their reads go unchecked through the buffers, as do the pair-id indexed tables below.
    init(_ words: [WordCounter.View], _ order: ArraySlice<(count: UInt64, ref: Int)>, charToSym: UnsafeBufferPointer<Int32>,
         info: UnsafeBufferPointer<UInt32>, rules: BPETrainer.Rules) {
        var map = PairMap(capacity: 1 << 16)
        var lastWord: [Int32] = []
        var entryPair: [Int32] = [], entryWord: [Int32] = []
        var tmp: [Int32] = []
        var sink: UInt64 = 0
        for (k, (c, ref)) in zip(order.indices, order) {
            // Words are scattered over the counters: load the next block of them ahead (those cache
            // misses overlap), so this word's slot is usually in cache already.
            if (k - order.startIndex) % 16 == 0 {
                for j in k..<min(order.endIndex, k + 16) {
                    let r = order[j].ref
                    sink &+= words[(r >> 40) & 0xFF].count(at: r & (1 << 40 - 1))
                }
            }
            words[(ref >> 40) & 0xFF].withKey(at: ref & (1 << 40 - 1)) { p, n in
                tmp.removeAll(keepingCapacity: true)
                func flush() {
                    if tmp.count >= 2 {
                        let h = Int32(truncatingIfNeeded: syms.count)   // the caller rejects > 2^31 symbols
                        syms.append(Int32(tmp.count))
                        syms.append(Int32(bitPattern: UInt32(truncatingIfNeeded: c)))
                        syms.append(Int32(bitPattern: UInt32(truncatingIfNeeded: c >> 32)))
                        syms.append(contentsOf: tmp)
                        wordCount += 1
                        let wc = Int64(c)
                        tmp.withUnsafeBufferPointer { t in
                            for i in 0..<(t.count &- 1) {
                                let a = t[i], b = t[i &+ 1]
                                if !rules.valid(info[Int(a)], info[Int(b)]) { continue }
                                let (id, inserted) = map.index(BPETrainer.pairKey(a, b))
                                if inserted { pairKeys.append(BPETrainer.pairKey(a, b)); pairCounts.append(0); lastWord.append(-1) }
                                pairCounts[id] &+= wc
                                if lastWord[id] != h { lastWord[id] = h; entryPair.append(Int32(id)); entryWord.append(h) }
                            }
                        }
                    }
                    tmp.removeAll(keepingCapacity: true)
                }
                var i = 0
                while i < n {
                    let (cp, l) = decodeScalar(p + i, n - i)
                    let s = cp < 0x110000 ? charToSym[Int(cp)] : -1
                    if s >= 0 { tmp.append(s) } else { flush() }
                    i += l
                }
                flush()
            }
        }
        warmed = sink   // keeps the warming loads
        // Group the (pair, word) entries by pair, keeping word order (a counting sort).
        // (Entries name pairs < pairKeys.count, so every index is in range: unchecked buffers.)
        whereStart = [Int](repeating: 0, count: pairKeys.count + 1)
        var next = [Int](repeating: 0, count: pairKeys.count + 1)
        whereWords = [Int32](repeating: 0, count: entryWord.count)
        let pairTotal = pairKeys.count
        entryPair.withUnsafeBufferPointer { ep in
            entryWord.withUnsafeBufferPointer { ew in
                whereStart.withUnsafeMutableBufferPointer { start in
                    next.withUnsafeMutableBufferPointer { nx in
                        whereWords.withUnsafeMutableBufferPointer { out in
                            for e in ep { start[Int(e) &+ 1] &+= 1 }
                            for k in 0..<pairTotal { start[k &+ 1] &+= start[k] }
                            for k in 0...pairTotal { nx[k] = start[k] }
                            for j in 0..<ep.count {
                                let e = Int(ep[j])
                                out[nx[e]] = ew[j]
                                nx[e] &+= 1
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Views of every counter, for as long as `body` runs.
func withViews<R>(_ counters: [WordCounter], _ body: ([WordCounter.View]) -> R) -> R {
    var views: [WordCounter.View] = []
    func nest(_ k: Int) -> R {
        if k == counters.count { return body(views) }
        return counters[k].withView { v in views.append(v); return nest(k + 1) }
    }
    return nest(0)
}

/// The inline word layout of the merge state: `syms[h]` = length, `syms[h+1...h+2]` = 64-bit count,
/// then the symbols.
enum Word {
    static let header = 3
    @inline(__always)
    static func count(_ syms: UnsafePointer<Int32>, _ h: Int) -> UInt64 {
        UInt64(UInt32(bitPattern: syms[h + 1])) | UInt64(UInt32(bitPattern: syms[h + 2])) << 32
    }
}
