// Step 1 of training: every sentence is normalised (identity: dummy prefix, ' ' -> '▁') and split into
// words, and the unique words are counted with 64-bit counts, in parallel (see WordCounter.swift for
// the table and the batch that overlaps its cache misses).
import SpindleIO

extension BPETrainer {
    /// Normalises sentences (identity: dummy prefix, ' ' -> '▁') and counts words split before each '▁'
    /// run (a run of '▁' stays with the following word when whitespace-only pieces are allowed).
    func countWords(_ corpus: TrainingCorpus) -> [WordCounter] {
        let threads = max(1, min(options.numThreads, 64))
        let n = corpus.count
        let norm = Normalizer(charsMap: nil, userDefined: PrefixMatcher([]), addDummyPrefix: true,
                              removeExtraWhitespaces: false, escapeWhitespaces: true, treatWhitespaceAsSuffix: false)
        let boundary = PrefixMatcher(options.userDefinedSymbols + options.controlSymbols)
        let allowWS = options.allowWhitespaceOnlyPieces
        // Thread t counts into shards t * shardCount ..< (t + 1) * shardCount; shard s of every thread is
        // then merged on its own thread.
        let shardCount = threads
        let counters = ThreadSlots<WordCounter>(threads * shardCount, WordCounter(capacity: 1))
        let share = (n + threads - 1) / threads
        let warmed = ThreadSlots<UInt64>(threads, 0)
        defer { for t in 0..<threads { warmLoads &+= warmed[t] } }
        corpus.bytes.withUnsafeBufferPointer { cb in
            // Safe: the corpus outlives the parallel loop below, which only reads it.
            nonisolated(unsafe) let base = cb.baseAddress!
            let corpusRef = corpus
            Parallel(threads: threads).forEach(threads) { t in
                var shards = (0..<shardCount).map { _ in WordCounter(capacity: 1 << 16) }
                var batch = WordBatch()
                var buf: [UInt8] = []
                let lo = t * share, hi = min(n, lo + share)
                if lo < hi {
                    for i in lo..<hi {
                        let r = corpusRef.range(i)
                        if boundary.isEmpty {
                            countWordsIdentity(base + r.lowerBound, r.count, allowWS: allowWS, batch: &batch, into: &shards)
                            continue
                        }
                        buf.removeAll(keepingCapacity: true)
                        norm.normalize(UnsafeBufferPointer(start: base + r.lowerBound, count: r.count), into: &buf)
                        buf.withUnsafeBufferPointer { b in
                            splitWords(b, allowWS: allowWS, boundary: boundary) { p, len in batch.append(p, len, &shards) }
                        }
                    }
                }
                batch.flush(&shards)
                warmed[t] = batch.warmed
                for s in 0..<shardCount { counters[t * shardCount + s] = shards[s] }
            }
        }
        let merged = ThreadSlots<WordCounter>(shardCount, WordCounter(capacity: 1))
        Parallel(threads: shardCount).forEach(shardCount) { s in
            var total = counters.take(s, replacement: WordCounter(capacity: 1))
            for t in 1..<threads { total.merge(counters.take(t * shardCount + s, replacement: WordCounter(capacity: 1))) }
            merged[s] = total
        }
        return (0..<shardCount).map { merged.take($0, replacement: WordCounter(capacity: 1)) }
    }
}

/// Splits normalised text into words: a new word starts at every '▁' (with whitespace-only pieces
/// allowed, only at the first '▁' of a run). User-defined/control symbol strings end a word and are
/// dropped, as sentencepiece's trainer does.
func splitWords(_ b: UnsafeBufferPointer<UInt8>, allowWS: Bool, boundary: PrefixMatcher,
                _ body: (UnsafePointer<UInt8>, Int) -> Void) {
    guard let base = b.baseAddress else { return }
    let n = b.count
    var start = 0
    var i = 0
    var inWS = false
    let hasBoundary = !boundary.isEmpty
    while i < n {
        if hasBoundary {
            let m = boundary.match(base + i, n - i)
            if m > 0 {
                if i > start { body(base + start, i - start) }
                i += m; start = i; inWS = false
                continue
            }
        }
        let isWS = i + 2 < n && base[i] == 0xE2 && base[i + 1] == 0x96 && base[i + 2] == 0x81
        if isWS && (!inWS || !allowWS) && i > start {
            body(base + start, i - start); start = i
        }
        inWS = isWS
        i += isWS ? 3 : max(1, min(n - i, oneCharLen(base[i])))
    }
    if start < n { body(base + start, n - start) }
}

/// Identity normalisation and word splitting fused (the common case: no user-defined or control
/// symbols): the same words as `normalize` + `splitWords`, written straight into the batch.
@inline(__always)
func countWordsIdentity(_ p: UnsafePointer<UInt8>, _ n: Int, allowWS: Bool, batch: inout WordBatch, into shards: inout [WordCounter]) {
    if n == 0 { return }
    batch.reserve(3 * n + 3, &shards)   // every byte becomes at most 3 ('▁' or U+FFFD), plus the dummy prefix
    // w stays below the reserved 3n + 3 bytes past `used`: the loop uses wrapping arithmetic.
    let out = batch.bytes
    var start = batch.used
    var w = start
    out[w] = 0xE2; out[w &+ 1] = 0x96; out[w &+ 2] = 0x81; w &+= 3
    var inWS = true
    var i = 0
    while i < n {
        let c = p[i]
        if c < 0x80 && c != 0x20 {
            out[w] = c; w &+= 1; i &+= 1
            inWS = false
            continue
        }
        let isWS = c == 0x20 || (c == 0xE2 && i &+ 2 < n && p[i &+ 1] == 0x96 && p[i &+ 2] == 0x81)
        if isWS {
            if !(inWS && allowWS) {
                batch.used = w
                batch.endWord(from: start, &shards)
                w = batch.used; start = w
            }
            out[w] = 0xE2; out[w &+ 1] = 0x96; out[w &+ 2] = 0x81; w &+= 3
            inWS = true
            i &+= c == 0x20 ? 1 : 3
            continue
        }
        inWS = false
        let l = validUTF8Length(p + i, n - i)
        if l == 0 { out[w] = 0xEF; out[w &+ 1] = 0xBF; out[w &+ 2] = 0xBD; w &+= 3; i &+= 1; continue }
        for k in 0..<l { out[w &+ k] = p[i &+ k] }
        w &+= l; i &+= l
    }
    batch.used = w
    batch.endWord(from: start, &shards)
}
