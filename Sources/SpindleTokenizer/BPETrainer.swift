// SentencePiece-compatible BPE training. Words are counted once (in parallel, 64-bit counts); then each
// merge updates pair counts incrementally around the merged positions only, and a lazy max-heap picks
// the next pair (frequency desc, then shorter piece, then smaller UTF-8 string, as sentencepiece does).
// The corpus is never recounted per merge. Output is a ModelProto that sentencepiece loads.
import Dispatch
import SpindleIO

/// Options of `spindle tokenizer train`, named after spm_train's flags.
public struct BPETrainerOptions: Sendable {
    public var vocabSize = 32000
    public var characterCoverage = 0.99995
    public var byteFallback = true
    public var splitDigits = true
    public var splitByNumber = true
    public var splitByUnicodeScript = true
    public var allowWhitespaceOnlyPieces = true
    public var maxSentencepieceLength = 16
    public var maxSentenceLength = 4192
    public var userDefinedSymbols: [String] = []
    public var controlSymbols: [String] = []
    public var inputSentenceSize = 0
    public var shuffleInputSentence = true
    public var numThreads = 2
    public var seed: UInt64 = 12345678
    public var hardVocabLimit = true
    public var unkID = 0, bosID = 1, eosID = 2, padID = -1
    public var unkPiece = "<unk>", bosPiece = "<s>", eosPiece = "</s>", padPiece = "<pad>"
    public var unkSurface = " \u{2047} "
    /// Bytes the word and pair tables may use; rare words are pruned to fit (nil: unbounded).
    public var memoryBudget: Int? = nil
    /// Recorded in trainer_spec.
    public var inputs: [String] = []
    public var inputFormat = "text"
    public var modelPrefix = ""
    /// Merges touching at least this many words rewrite them on `numThreads` threads (tests lower it).
    var parallelRewriteThreshold = 2048

    public init() {}

    /// Llama 2's trainer_spec (the released tokenizer.model's settings).
    public static var llama2: BPETrainerOptions { BPETrainerOptions() }
}

/// Why training failed.
public struct TrainingError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ m: String) { message = m }
    public var description: String { message }
}

/// Statistics of a training run (for logs and benchmarks).
public struct TrainingStats: Sendable {
    public var sentences = 0
    public var uniqueWords = 0
    public var prunedWords = 0
    public var alphabetSize = 0
    public var merges = 0
    public var estimatedBytes = 0
    public var seconds: [String: Double] = [:]
}

public final class BPETrainer {
    public let options: BPETrainerOptions
    public private(set) var stats = TrainingStats()
    let log: (String) -> Void
    /// Sums of cache-warming loads, kept so the optimiser cannot drop them.
    private var warmLoads: UInt64 = 0

    public init(options: BPETrainerOptions, log: @escaping (String) -> Void = { _ in }) {
        self.options = options
        self.log = log
    }

    // Symbol tables: strings and the summaries that decide whether a concatenation is a valid piece.
    private var symBytes: [UInt8] = []
    private var symStart: [Int] = []
    private var symLen: [Int32] = []
    /// Packed summary per symbol (see `SymInfo`); moved into the merge state while merging.
    private var symInfo: [UInt32] = []
    private var symByString: [ArraySlice<UInt8>: Int32] = [:]

    private static let anyScript: UInt8 = 255

    /// Bits of a symbol summary: code points (0-7), all '▁' (8), starts with '▁' (9), has a digit (10),
    /// frozen meta piece (11), script (16-23, 255 = any).
    enum SymInfo {
        static func make(chars: Int, allWS: Bool, startsWS: Bool, digit: Bool, frozen: Bool, script: UInt8) -> UInt32 {
            UInt32(min(chars, 255)) | (allWS ? 1 << 8 : 0) | (startsWS ? 1 << 9 : 0) | (digit ? 1 << 10 : 0)
                | (frozen ? 1 << 11 : 0) | UInt32(script) << 16
        }
        @inline(__always) static func chars(_ i: UInt32) -> Int { Int(i & 0xFF) }
        @inline(__always) static func allWS(_ i: UInt32) -> Bool { i & (1 << 8) != 0 }
        @inline(__always) static func startsWS(_ i: UInt32) -> Bool { i & (1 << 9) != 0 }
        @inline(__always) static func digit(_ i: UInt32) -> Bool { i & (1 << 10) != 0 }
        @inline(__always) static func frozen(_ i: UInt32) -> Bool { i & (1 << 11) != 0 }
        @inline(__always) static func script(_ i: UInt32) -> UInt8 { UInt8(truncatingIfNeeded: i >> 16) }
        static func concat(_ a: UInt32, _ b: UInt32) -> UInt32 {
            make(chars: chars(a) + chars(b), allWS: allWS(a) && allWS(b), startsWS: startsWS(a), digit: digit(a) || digit(b),
                 frozen: false, script: script(a) != anyScript ? script(a) : script(b))
        }
    }

    /// The validity rules, captured as plain values for the hot loop.
    struct Rules {
        let maxLength: Int
        let splitDigits: Bool
        let allowWS: Bool

        /// Whether the concatenation of two symbols is a valid piece (sentencepiece's IsValidSentencePiece).
        @inline(__always)
        func valid(_ a: UInt32, _ b: UInt32) -> Bool {
            if SymInfo.frozen(a) || SymInfo.frozen(b) { return false }
            if SymInfo.chars(a) + SymInfo.chars(b) > maxLength { return false }
            if splitDigits && (SymInfo.digit(a) || SymInfo.digit(b)) { return false }
            if SymInfo.allWS(a) && SymInfo.allWS(b) {
                if !allowWS { return false }
            } else {
                if SymInfo.startsWS(b) { return false }
                if SymInfo.allWS(a) && SymInfo.chars(a) > 1 { return false }
            }
            let sa = SymInfo.script(a), sb = SymInfo.script(b)
            return sa == anyScript || sb == anyScript || sa == sb
        }
    }

    private var rules: Rules {
        Rules(maxLength: options.maxSentencepieceLength, splitDigits: options.splitDigits, allowWS: options.allowWhitespaceOnlyPieces)
    }

    /// Trains on a corpus and returns the model.
    public func train(_ corpusIn: TrainingCorpus) throws(TrainingError) -> ModelProto {
        let o = options
        var corpus = corpusIn
        if o.inputSentenceSize > 0 && corpus.count > o.inputSentenceSize {
            corpus = corpus.sampled(o.inputSentenceSize, shuffle: o.shuffleInputSentence, seed: o.seed)
            log("sampled \(corpus.count) sentences (input_sentence_size=\(o.inputSentenceSize))")
        }
        stats.sentences = corpus.count
        guard corpus.count > 0 else { throw TrainingError("no training sentences (all lines empty or too long?)") }
        var t0 = monotonicSeconds()

        // 1. Words, counted in parallel.
        var words = countWords(corpus)
        stats.uniqueWords = words.reduce(0) { $0 + $1.count }
        stats.seconds["count_words"] = monotonicSeconds() - t0
        log("\(corpus.count) sentences, \(stats.uniqueWords) unique words (\(fmt(stats.seconds["count_words"]!)) s)")
        t0 = monotonicSeconds()

        // 2. Alphabet by character coverage.
        let (alphabet, charToSym) = try chooseAlphabet(words)
        stats.alphabetSize = alphabet.count
        let meta = try metaPieces()
        let byteCount = o.byteFallback ? 256 : 0
        let targetMerges = o.vocabSize - meta.count - byteCount - alphabet.count
        guard targetMerges >= 0 else {
            throw TrainingError("vocab_size \(o.vocabSize) is too small: \(meta.count) meta pieces + \(byteCount) byte pieces + \(alphabet.count) characters (character_coverage \(o.characterCoverage)) do not fit")
        }
        log("alphabet: \(alphabet.count) characters (coverage \(o.characterCoverage)); \(targetMerges) merges to learn")

        // 3. Word symbol sequences (split at characters outside the alphabet), memory-bounded.
        var state = try buildWords(&words, charToSym: charToSym)
        words = []
        stats.seconds["prepare"] = monotonicSeconds() - t0
        log("prepared merge tables (\(fmt(stats.seconds["prepare"]!)) s)")
        t0 = monotonicSeconds()

        // 4. Merges.
        var merged: [Int32] = []   // symbol ids of new pieces, in merge order
        merged.reserveCapacity(max(0, targetMerges))
        mergeLoop(&state, target: targetMerges, into: &merged)
        stats.merges = merged.count
        stats.seconds["merge"] = monotonicSeconds() - t0
        log("learned \(merged.count) merges (\(fmt(stats.seconds["merge"]!)) s)")
        if merged.count < targetMerges && o.hardVocabLimit {
            throw TrainingError("vocabulary size \(o.vocabSize) is too high for this corpus: only \(meta.count + byteCount + alphabet.count + merged.count) pieces can be made (lower --vocab_size or pass --hard_vocab_limit=false)")
        }

        // 5. The model.
        var pieces = meta
        if o.byteFallback {
            let hex = Array("0123456789ABCDEF")
            for b in 0..<256 { pieces.append(Piece("<0x\(hex[b >> 4])\(hex[b & 15])>", score: 0, type: .byte)) }
        }
        var k = 0
        for s in merged { pieces.append(Piece(symbolString(s), score: -Float(k))); k += 1 }
        for c in alphabet { pieces.append(Piece(String(Unicode.Scalar(c)!), score: -Float(k))); k += 1 }
        return ModelProto(pieces: pieces, trainerSpec: trainerSpec(), normalizerSpec: normalizerSpec())
    }

    // MARK: Words

    /// Normalises sentences (identity: dummy prefix, ' ' -> '▁') and counts words split before each '▁'
    /// run (a run of '▁' stays with the following word when whitespace-only pieces are allowed).
    private func countWords(_ corpus: TrainingCorpus) -> [WordCounter] {
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
            nonisolated(unsafe) let base = cb.baseAddress!
            let corpusRef = corpus
            DispatchQueue.concurrentPerform(iterations: threads) { t in
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
                batch.free()
                warmed[t] = batch.warmed
                for s in 0..<shardCount { counters[t * shardCount + s] = shards[s] }
            }
        }
        let merged = ThreadSlots<WordCounter>(shardCount, WordCounter(capacity: 1))
        DispatchQueue.concurrentPerform(iterations: shardCount) { s in
            var total = counters.take(s, replacement: WordCounter(capacity: 1))
            for t in 1..<threads { total.merge(counters.take(t * shardCount + s, replacement: WordCounter(capacity: 1))) }
            merged[s] = total
        }
        return (0..<shardCount).map { merged.take($0, replacement: WordCounter(capacity: 1)) }
    }

    // MARK: Alphabet

    private func chooseAlphabet(_ words: [WordCounter]) throws(TrainingError) -> ([UInt32], [Int32]) {
        var perChar = [UInt64](repeating: 0, count: 0x110000)
        var total: UInt64 = 0
        perChar.withUnsafeMutableBufferPointer { pc in
            for shard in words {
                shard.forEach { p, n, c in
                    var i = 0
                    while i < n {
                        let (cp, l) = decodeScalar(p + i, n - i)
                        if cp < 0x110000 { pc[Int(cp)] &+= c }
                        total &+= c
                        i += l
                    }
                }
            }
        }
        var counts: [(key: UInt32, value: UInt64)] = []
        for cp in 0..<perChar.count where perChar[cp] > 0 { counts.append((UInt32(cp), perChar[cp])) }
        // Most frequent first; ties by code point, so the order is deterministic.
        let sorted = counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        var alphabet: [UInt32] = []
        var acc: UInt64 = 0
        let limit = Double(total) * options.characterCoverage
        for (cp, c) in sorted {
            acc &+= c
            if options.characterCoverage < 1 && Double(acc) > limit { break }
            // NUL, TAB and sentencepiece's unknown marker never become pieces (they still count
            // towards the coverage, as in sentencepiece).
            if cp == 0 || cp == 9 || cp == 0x2585 { continue }
            alphabet.append(cp)
        }
        log("characters: \(counts.count) distinct, \(total) total, kept \(alphabet.count) (\(acc) <= \(limit))")
        var map = [Int32](repeating: -1, count: 0x110000)
        for cp in alphabet {
            let s = String(Unicode.Scalar(cp)!)
            if symByString[ArraySlice(Array(s.utf8))] != nil { continue }
            map[Int(cp)] = addSymbol(Array(s.utf8), char: cp)
        }
        return (alphabet, map)
    }

    @discardableResult
    private func addSymbol(_ bytes: [UInt8], char cp: UInt32) -> Int32 {
        let id = Int32(symStart.count)
        symStart.append(symBytes.count); symLen.append(Int32(bytes.count))
        symBytes.append(contentsOf: bytes)
        let ws = cp == 0x2581
        let digit = (cp >= 0x30 && cp <= 0x39) || (cp >= 0xFF10 && cp <= 0xFF19)
        var s: UInt8 = Self.anyScript
        if !ws && options.splitByUnicodeScript {
            s = UnicodeScript.of(cp)
            if s == UnicodeScript.hiragana || s == UnicodeScript.katakana || cp == 0x30FC { s = UnicodeScript.han }
            if s == UnicodeScript.inherited { s = Self.anyScript }
            if digit && !options.splitByNumber { s = Self.anyScript }
        }
        symInfo.append(SymInfo.make(chars: 1, allWS: ws, startsWS: ws, digit: digit, frozen: false, script: s))
        symByString[ArraySlice(bytes)] = id
        return id
    }

    func symbolString(_ s: Int32) -> String {
        String(decoding: symBytes[symStart[Int(s)]..<(symStart[Int(s)] + Int(symLen[Int(s)]))], as: UTF8.self)
    }

    // MARK: Merge state

    /// Words and pair statistics while merging. Each word lives inline in `syms` as a header (length,
    /// count low, count high) followed by its symbols, and is named by its header's offset: visiting a
    /// word touches one stretch of memory.
    struct State {
        var syms: [Int32] = []
        var wordCount = 0
        var pairs: [PairStat] = []
        /// Words (header offsets) holding each pair; may hold stale entries and repeats.
        var pairWhere: [[Int32]] = []
        var info: [UInt32] = []
        var pairMap = PairMap(capacity: 16)
    }
    struct PairStat { var count: Int64; var left: Int32; var right: Int32 }

    private func buildWords(_ words: inout [WordCounter], charToSym: [Int32]) throws(TrainingError) -> State {
        var st = State()
        st.info = symInfo
        let rules = self.rules
        // Memory estimate: word symbols (syms + where lists), per-word arrays, pair tables.
        var totalChars = 0, wordCount = 0
        for shard in words {
            wordCount += shard.count
            for i in 0..<shard.capacity { totalChars += shard.length(at: i) }   // bytes >= chars: an upper bound
        }
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
        withViews(words) { views in
            let ord = order, cutsC = cuts
            let infoC = st.info
            DispatchQueue.concurrentPerform(iterations: threads) { t in
                parts[t] = WordTablePart(views, ord[cutsC[t]..<cutsC[t + 1]], charToSym: charToSym, info: infoC, rules: rules)
            }
        }
        order = []
        // Join: thread t's word offsets move by the symbols before it; pair ids are global.
        st.pairMap = PairMap(capacity: 1 << 17)
        var ids: [[Int32]] = []
        var whereSize: [Int] = []
        for t in 0..<threads {
            let part = parts[t]
            var local: [Int32] = []
            local.reserveCapacity(part.pairKeys.count)
            for k in 0..<part.pairKeys.count {
                let q = pairIndex(&st, part.pairKeys[k])
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
        log("\(st.wordCount) word segments, \(st.syms.count - Word.header * st.wordCount) symbols, \(st.pairs.count) pairs")
        return st
    }

    @inline(__always)
    static func pairKey(_ a: Int32, _ b: Int32) -> UInt64 { UInt64(UInt32(bitPattern: a)) << 32 | UInt64(UInt32(bitPattern: b)) }

    @inline(__always)
    static func pairHash(_ key: UInt64) -> Int {
        var h = key &* 0x9E37_79B9_7F4A_7C15
        h ^= h >> 31
        return Int(truncatingIfNeeded: h)
    }

    /// Index of pair (a, b) (as `pairKey`), inserted when absent.
    @inline(__always)
    private func pairIndex(_ st: inout State, _ key: UInt64) -> Int {
        let (id, inserted) = st.pairMap.index(key)
        if inserted {
            st.pairs.append(PairStat(count: 0, left: Int32(truncatingIfNeeded: Int64(key >> 32)), right: Int32(truncatingIfNeeded: Int64(key & 0xFFFF_FFFF))))
            st.pairWhere.append([])
        }
        return id
    }

    // MARK: Merge loop

    struct HeapEntry { var count: Int64; var pair: Int32 }

    /// sentencepiece's order: higher frequency, then shorter piece (code points), then smaller string;
    /// then smaller (left, right) symbol ids, so the order is total and never depends on push order.
    @inline(__always)
    private func better(_ x: HeapEntry, _ y: HeapEntry, _ st: borrowing State) -> Bool {
        if x.count != y.count { return x.count > y.count }
        let xp = st.pairs[Int(x.pair)], yp = st.pairs[Int(y.pair)]
        let xl = SymInfo.chars(st.info[Int(xp.left)]) + SymInfo.chars(st.info[Int(xp.right)])
        let yl = SymInfo.chars(st.info[Int(yp.left)]) + SymInfo.chars(st.info[Int(yp.right)])
        if xl != yl { return xl < yl }
        if let less = concatLess(xp.left, xp.right, yp.left, yp.right) { return less }
        return xp.left != yp.left ? xp.left < yp.left : xp.right < yp.right
    }

    /// Whether string(a)+string(b) < string(c)+string(d), bytewise (nil when equal).
    private func concatLess(_ a: Int32, _ b: Int32, _ c: Int32, _ d: Int32) -> Bool? {
        func byte(_ s1: Int32, _ s2: Int32, _ i: Int) -> Int {
            let l1 = Int(symLen[Int(s1)])
            if i < l1 { return Int(symBytes[symStart[Int(s1)] + i]) }
            let j = i - l1
            if j < Int(symLen[Int(s2)]) { return Int(symBytes[symStart[Int(s2)] + j]) }
            return -1
        }
        var i = 0
        while true {
            let x = byte(a, b, i), y = byte(c, d, i)
            if x != y { return x < y }
            if x < 0 { return nil }
            i += 1
        }
    }

    private func mergeLoop(_ st: inout State, target: Int, into merged: inout [Int32]) {
        let rules = self.rules
        var heap: [HeapEntry] = []
        heap.reserveCapacity(st.pairs.count)
        func push(_ e: HeapEntry, _ st: borrowing State) {
            heap.append(e)
            var k = heap.count - 1
            while k > 0 {
                let p = (k - 1) >> 1
                if !better(heap[k], heap[p], st) { break }
                heap.swapAt(k, p); k = p
            }
        }
        func pop(_ st: borrowing State) -> HeapEntry {
            let top = heap[0]
            let last = heap.removeLast()
            if !heap.isEmpty {
                heap[0] = last
                var k = 0
                let n = heap.count
                while true {
                    let l = 2 * k + 1
                    if l >= n { break }
                    var c = l
                    if l + 1 < n && better(heap[l + 1], heap[l], st) { c = l + 1 }
                    if !better(heap[c], heap[k], st) { break }
                    heap.swapAt(k, c); k = c
                }
            }
            return top
        }
        // Only pairs counted at least `floor` times are in the heap: most pairs a merge creates are rare
        // and never merged, so they wait in the pair table. When the heap runs dry the floor is lowered
        // and the pairs that reach it are pushed (the heap top is still the best pair of all).
        var floor: Int64 = max(1, (st.pairs.map(\.count).max() ?? 0) / 256)
        for p in 0..<st.pairs.count where st.pairs[p].count >= floor { push(HeapEntry(count: st.pairs[p].count, pair: Int32(p)), st) }
        func lowerFloor(_ st: borrowing State) {
            let old = floor
            floor = max(1, floor / 4)
            for p in 0..<st.pairs.count where st.pairs[p].count >= floor && st.pairs[p].count < old {
                push(HeapEntry(count: st.pairs[p].count, pair: Int32(p)), st)
            }
        }

        let threads = max(1, min(options.numThreads, 16))
        let deltas = (0..<threads).map { _ in MergeDeltas() }
        var lastProgress = monotonicSeconds()
        var gathered: [Int32] = []
        let flushBlock = 32
        var qs = [Int](repeating: -1, count: flushBlock)
        var warm: UInt64 = 0
        defer { warmLoads &+= warm }
        while merged.count < target {
            if heap.isEmpty {
                if floor <= 1 { break }
                lowerFloor(st)
                continue
            }
            let top = pop(st)
            let p = Int(top.pair)
            let cur = st.pairs[p].count
            if top.count != cur {
                if cur >= floor && top.count > cur { push(HeapEntry(count: cur, pair: top.pair), st) }
                continue
            }
            if cur <= 0 { continue }
            let a = st.pairs[p].left, b = st.pairs[p].right
            // The merged symbol (an existing one when this string was already reached another way).
            let bytes = Array(symBytes[symStart[Int(a)]..<(symStart[Int(a)] + Int(symLen[Int(a)]))])
                + Array(symBytes[symStart[Int(b)]..<(symStart[Int(b)] + Int(symLen[Int(b)]))])
            var c: Int32
            if let existing = symByString[ArraySlice(bytes)] {
                c = existing
            } else {
                c = Int32(symStart.count)
                symStart.append(symBytes.count); symLen.append(Int32(bytes.count)); symBytes.append(contentsOf: bytes)
                st.info.append(SymInfo.concat(st.info[Int(a)], st.info[Int(b)]))
                symByString[ArraySlice(bytes)] = c
                merged.append(c)
            }
            // Rewrite every word holding (a, b); the pair-count changes around each merged position
            // are summed per pair first, so the global table is updated once per distinct pair.
            let list = st.pairWhere[p]
            st.pairWhere[p] = []
            let parts = list.count >= options.parallelRewriteThreshold ? threads : 1
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
                st.info.withUnsafeBufferPointer { infoBuf in
                    nonisolated(unsafe) let syms = symsBuf.baseAddress!
                    let symCount = symsBuf.count
                    nonisolated(unsafe) let info = infoBuf.baseAddress!
                    list.withUnsafeBufferPointer { lb in
                        nonisolated(unsafe) let lst = lb
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
                        if parts == 1 { work(0) } else { DispatchQueue.concurrentPerform(iterations: parts, execute: work) }
                    }
                }
            }
            for t in 0..<parts {
                let d = deltas[t]
                st.pairs[p].count += d.selfDelta
                d.groupGains(into: &gathered)
                // The pairs of a block of entries are looked up together and their records loaded
                // ahead, so the cache misses on the large pair tables overlap.
                var k0 = 0
                while k0 < d.count {
                    let k1 = min(d.count, k0 + flushBlock)
                    for k in k0..<k1 { warm &+= st.pairMap.probe(d.keys[k]) }
                    for k in k0..<k1 {
                        qs[k - k0] = d.sums[k] == 0 && d.gains(k).isEmpty ? -1 : pairIndex(&st, d.keys[k])
                    }
                    for k in k0..<k1 where qs[k - k0] >= 0 {
                        let q = qs[k - k0]
                        warm &+= UInt64(bitPattern: st.pairs[q].count) &+ UInt64(st.pairWhere[q].count)
                    }
                    for k in k0..<k1 where qs[k - k0] >= 0 {
                        let sum = d.sums[k]
                        let g = d.gains(k)
                        let q = qs[k - k0]
                        let before = st.pairs[q].count
                        st.pairs[q].count = before + sum
                        if !g.isEmpty {
                            if st.pairWhere[q].isEmpty {
                                st.pairWhere[q] = Array(gathered[g])
                            } else {
                                var from = g.lowerBound
                                if st.pairWhere[q].last == gathered[from] { from += 1 }
                                st.pairWhere[q].append(contentsOf: gathered[from..<g.upperBound])
                            }
                        }
                        if st.pairs[q].count > before && st.pairs[q].count >= floor { push(HeapEntry(count: st.pairs[q].count, pair: Int32(q)), st) }
                    }
                    k0 = k1
                }
            }
            let now = monotonicSeconds()
            if now - lastProgress > 5 {
                lastProgress = now
                log("merges \(merged.count)/\(target), last \(symbolString(c).debugDescription) freq \(cur)")
            }
        }
    }

    // MARK: Model pieces and specs

    private func metaPieces() throws(TrainingError) -> [Piece] {
        let o = options
        var fixed: [(Int, Piece)] = []
        if o.unkID < 0 { throw TrainingError("unk_id must be >= 0") }
        fixed.append((o.unkID, Piece(o.unkPiece, score: 0, type: .unknown)))
        if o.bosID >= 0 { fixed.append((o.bosID, Piece(o.bosPiece, score: 0, type: .control))) }
        if o.eosID >= 0 { fixed.append((o.eosID, Piece(o.eosPiece, score: 0, type: .control))) }
        if o.padID >= 0 { fixed.append((o.padID, Piece(o.padPiece, score: 0, type: .control))) }
        var rest = o.controlSymbols.map { Piece($0, score: 0, type: .control) }
            + o.userDefinedSymbols.map { Piece($0, score: 0, type: .userDefined) }
        let total = fixed.count + rest.count
        var slots = [Piece?](repeating: nil, count: total)
        for (id, p) in fixed {
            guard id < total else { throw TrainingError("special id \(id) for \(p.piece) must be < \(total) (the number of meta pieces)") }
            guard slots[id] == nil else { throw TrainingError("special id \(id) is used twice") }
            slots[id] = p
        }
        var seen = Set<String>()
        for i in 0..<total where slots[i] == nil { slots[i] = rest.removeFirst() }
        let pieces = slots.map { $0! }
        for p in pieces {
            guard !p.piece.isEmpty else { throw TrainingError("empty control or user-defined symbol") }
            guard seen.insert(p.piece).inserted else { throw TrainingError("symbol \(p.piece.debugDescription) is defined twice") }
            // Merges must never rebuild a meta piece's string.
            let b = Array(p.piece.utf8)
            let id = Int32(symStart.count)
            symStart.append(symBytes.count); symLen.append(Int32(b.count)); symBytes.append(contentsOf: b)
            symInfo.append(SymInfo.make(chars: p.piece.unicodeScalars.count, allWS: false, startsWS: false, digit: false,
                                        frozen: true, script: Self.anyScript))
            symByString[ArraySlice(b)] = id
        }
        return pieces
    }

    private func trainerSpec() -> TrainerSpec {
        let o = options
        var t = TrainerSpec()
        t.input = o.inputs
        t.modelPrefix = o.modelPrefix
        t.modelType = .bpe
        t.vocabSize = o.vocabSize
        t.selfTestSampleSize = 0
        t.inputFormat = o.inputFormat
        t.characterCoverage = Float(o.characterCoverage)
        t.inputSentenceSize = o.inputSentenceSize
        t.seedSentencepieceSize = 1_000_000
        t.shrinkingFactor = 0.75
        t.numThreads = o.numThreads
        t.numSubIterations = 2
        t.maxSentenceLength = o.maxSentenceLength
        t.shuffleInputSentence = o.shuffleInputSentence
        t.maxSentencepieceLength = o.maxSentencepieceLength
        t.splitByUnicodeScript = o.splitByUnicodeScript
        t.splitByWhitespace = true
        t.splitByNumber = o.splitByNumber
        t.treatWhitespaceAsSuffix = false
        t.splitDigits = o.splitDigits
        t.allowWhitespaceOnlyPieces = o.allowWhitespaceOnlyPieces
        if !o.controlSymbols.isEmpty { t.controlSymbols = o.controlSymbols }
        if !o.userDefinedSymbols.isEmpty { t.userDefinedSymbols = o.userDefinedSymbols }
        t.vocabularyOutputPieceScore = true
        t.hardVocabLimit = o.hardVocabLimit
        t.useAllVocab = false
        t.byteFallback = o.byteFallback
        t.requiredChars = ""
        t.unkID = o.unkID; t.bosID = o.bosID; t.eosID = o.eosID; t.padID = o.padID
        t.unkSurface = o.unkSurface
        t.unkPiece = o.unkPiece; t.bosPiece = o.bosPiece; t.eosPiece = o.eosPiece; t.padPiece = o.padPiece
        t.trainExtremelyLargeCorpus = false
        t.enableDifferentialPrivacy = false
        t.differentialPrivacyNoiseLevel = 0
        t.differentialPrivacyClippingThreshold = 0
        return t
    }

    private func normalizerSpec() -> NormalizerSpec {
        var n = NormalizerSpec()
        n.name = "identity"
        n.precompiledCharsmap = []
        n.addDummyPrefix = true
        n.removeExtraWhitespaces = false
        n.escapeWhitespaces = true
        n.normalizationRuleTSV = ""
        return n
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

    init(_ words: [WordCounter.View], _ order: ArraySlice<(count: UInt64, ref: Int)>, charToSym: [Int32],
         info: [UInt32], rules: BPETrainer.Rules) {
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
                        for i in 0..<(tmp.count - 1) {
                            let a = tmp[i], b = tmp[i + 1]
                            if !rules.valid(info[Int(a)], info[Int(b)]) { continue }
                            let (id, inserted) = map.index(BPETrainer.pairKey(a, b))
                            if inserted { pairKeys.append(BPETrainer.pairKey(a, b)); pairCounts.append(0); lastWord.append(-1) }
                            pairCounts[id] += wc
                            if lastWord[id] != h { lastWord[id] = h; entryPair.append(Int32(id)); entryWord.append(h) }
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
        whereStart = [Int](repeating: 0, count: pairKeys.count + 1)
        for e in entryPair { whereStart[Int(e) + 1] += 1 }
        for k in 0..<pairKeys.count { whereStart[k + 1] += whereStart[k] }
        var next = whereStart
        whereWords = [Int32](repeating: 0, count: entryWord.count)
        for (e, w) in zip(entryPair, entryWord) { whereWords[next[Int(e)]] = w; next[Int(e)] += 1 }
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

/// Rewrites the word at header offset `h`, merging every (a, b) into c left to right, and reports the
/// pair-count changes around each merged position through `emit(x, y, delta)` (delta = ± the word's count).
@inline(__always)
func rewriteWord(_ syms: UnsafeMutablePointer<Int32>, at h: Int, _ a: Int32, _ b: Int32, _ c: Int32,
                 _ emit: (Int32, Int32, Int64) -> Void) {
    let n = Int(syms[h])
    let s = h + Word.header
    var o = 0, i = 0
    var changed = false
    var wc: Int64 = 0
    while i < n {
        if i + 1 < n && syms[s + i] == a && syms[s + i + 1] == b {
            if !changed { changed = true; wc = Int64(Word.count(syms, h)) }
            if o > 0 {
                let x = syms[s + o - 1]
                emit(x, a, -wc)
                emit(x, c, wc)
            }
            if i + 2 < n {
                let y = syms[s + i + 2]
                emit(b, y, -wc)
                emit(c, y, wc)
            }
            emit(a, b, -wc)
            syms[s + o] = c
            o += 1; i += 2
        } else {
            if changed { syms[s + o] = syms[s + i] }
            o += 1; i += 1
        }
    }
    if changed { syms[h] = Int32(o) }
}

/// The pair-count changes of one merge, summed per pair in first-seen order, with the words that gained
/// each pair. Small and reused from merge to merge, so the millions of changes of an early merge are
/// summed in cache and the global pair table is consulted once per distinct pair.
final class MergeDeltas: @unchecked Sendable {
    private(set) var keys: UnsafeMutablePointer<UInt64>
    private(set) var sums: UnsafeMutablePointer<Int64>
    private var lastWord: UnsafeMutablePointer<Int32>
    private var slotOf: UnsafeMutablePointer<Int>
    private(set) var count = 0
    private var capacity: Int
    private var slots: UnsafeMutablePointer<Int32>   // entry index, -1 = empty
    private var mask: Int
    /// Keeps the cache-warming loads of the rewrite loop alive.
    var sink: Int32 = 0
    /// Changes of the merged pair itself.
    private(set) var selfDelta: Int64 = 0
    private var selfKey: UInt64 = 0
    private var gainEntry: UnsafeMutablePointer<Int32>
    private var gainWord: UnsafeMutablePointer<Int32>
    private var gains = 0
    private var gainCapacity = 1024
    /// After `groupGains`: entry k's words are gathered[gainStart[k] ..< gainStart[k + 1]].
    private var gainStart: [Int] = []
    private var next: [Int] = []

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
        if key == selfKey { selfDelta += delta; return }
        if !rules.valid(info[Int(x)], info[Int(y)]) { return }
        if count == capacity { grow() }   // room for one more entry, so the probe below never has to restart
        var i = BPETrainer.pairHash(key) & mask
        var e: Int
        while true {
            let s = slots[i]
            if s < 0 {
                e = count
                count += 1
                slots[i] = Int32(e); slotOf[e] = i
                keys[e] = key; sums[e] = 0; lastWord[e] = -1
                break
            }
            if keys[Int(s)] == key { e = Int(s); break }
            i = (i + 1) & mask
        }
        sums[e] += delta
        if delta > 0 && lastWord[e] != w {
            lastWord[e] = w
            if gains == gainCapacity { growGains() }
            gainEntry[gains] = Int32(e); gainWord[gains] = w
            gains += 1
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
        for j in 0..<gains { gainStart[Int(gainEntry[j]) + 1] += 1 }
        for k in 0..<count { gainStart[k + 1] += gainStart[k] }
        gathered.removeAll(keepingCapacity: true)
        gathered.append(contentsOf: repeatElement(0, count: gains))
        next.removeAll(keepingCapacity: true)
        next.append(contentsOf: gainStart)
        for j in 0..<gains {
            let e = Int(gainEntry[j])
            gathered[next[e]] = gainWord[j]
            next[e] += 1
        }
    }

    /// Range of entry k's gained words in the array filled by `groupGains`.
    func gains(_ k: Int) -> Range<Int> { gainStart[k]..<gainStart[k + 1] }
}

/// Identity normalisation and word splitting fused (the common case: no user-defined or control
/// symbols): the same words as `normalize` + `splitWords`, written straight into the batch.
@inline(__always)
func countWordsIdentity(_ p: UnsafePointer<UInt8>, _ n: Int, allowWS: Bool, batch: inout WordBatch, into shards: inout [WordCounter]) {
    if n == 0 { return }
    batch.reserve(3 * n + 3, &shards)   // every byte becomes at most 3 ('▁' or U+FFFD), plus the dummy prefix
    let out = batch.bytes
    var start = batch.used
    var w = start
    out[w] = 0xE2; out[w + 1] = 0x96; out[w + 2] = 0x81; w += 3
    var inWS = true
    var i = 0
    while i < n {
        let c = p[i]
        if c < 0x80 && c != 0x20 {
            out[w] = c; w += 1; i += 1
            inWS = false
            continue
        }
        let isWS = c == 0x20 || (c == 0xE2 && i + 2 < n && p[i + 1] == 0x96 && p[i + 2] == 0x81)
        if isWS {
            if !(inWS && allowWS) {
                batch.used = w
                batch.endWord(from: start, &shards)
                w = batch.used; start = w
            }
            out[w] = 0xE2; out[w + 1] = 0x96; out[w + 2] = 0x81; w += 3
            inWS = true
            i += c == 0x20 ? 1 : 3
            continue
        }
        inWS = false
        let l = validUTF8Length(p + i, n - i)
        if l == 0 { out[w] = 0xEF; out[w + 1] = 0xBF; out[w + 2] = 0xBD; w += 3; i += 1; continue }
        for k in 0..<l { out[w + k] = p[i + k] }
        w += l; i += l
    }
    batch.used = w
    batch.endWord(from: start, &shards)
}

/// Decodes one code point from valid UTF-8 (the normaliser guarantees validity).
@inline(__always)
func decodeScalar(_ p: UnsafePointer<UInt8>, _ n: Int) -> (UInt32, Int) {
    let c0 = UInt32(p[0])
    if c0 < 0x80 { return (c0, 1) }
    let l = min(n, oneCharLen(p[0]))
    switch l {
    case 2: return ((c0 & 0x1F) << 6 | UInt32(p[1] & 0x3F), 2)
    case 3: return ((c0 & 0x0F) << 12 | UInt32(p[1] & 0x3F) << 6 | UInt32(p[2] & 0x3F), 3)
    case 4: return ((c0 & 0x07) << 18 | UInt32(p[1] & 0x3F) << 12 | UInt32(p[2] & 0x3F) << 6 | UInt32(p[3] & 0x3F), 4)
    default: return (0xFFFD, 1)
    }
}

func monotonicSeconds() -> Double { now() }

func fmt(_ x: Double) -> String {
    let v = Int((x * 10).rounded())
    return "\(v / 10).\(v % 10)"
}
