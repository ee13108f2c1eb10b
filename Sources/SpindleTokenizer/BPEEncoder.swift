import CSpindleCPU
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
// The BPE merge loop of SentencePiece (`bpe::Model::SampleEncode` with alpha = 0) on contiguous buffers:
// symbols are byte ranges of the normalised text, pairs are looked up by their byte range in the piece
// table, and a binary heap orders them by (score desc, left asc). Nothing is allocated per token, and the
// hot loop touches only raw pointers (no reference counting, no exclusivity checks).

/// A candidate merge: the piece formed by symbols `left` and `right`, of `size` bytes.
struct PairEntry {
    var score: Float
    var left: Int32
    var right: Int32
    var size: Int32
    var id: Int32

    /// Heap order: higher score first; ties -> smaller left index (SentencePiece's comparator).
    @inline(__always)
    func before(_ o: PairEntry) -> Bool { score > o.score || (score == o.score && left < o.left) }
}

/// A symbol during merging: a byte range of the normalised text and its neighbours.
struct MergeSymbol {
    var start: Int32
    var length: Int32
    var sid: Int32      // symbol id: piece id, or an extra id >= vocab size, or -1
    var prev: Int32
    var next: Int32
    var frozen: Bool
}

/// One output symbol of the merge loop: its piece id (-1 when not in the vocabulary) and byte range.
public struct EncodedSymbol: Equatable, Sendable {
    public var id: Int32
    public var start: Int32
    public var length: Int32
}

/// Reusable scratch space for encoding, passed `inout` through the hot path.
struct EncodeScratch {
    var normalized: [UInt8] = []
    var symbols: [EncodedSymbol] = []
    /// Word memos: ordinary words, and the few long ones (indented code, rules of dashes).
    var cache = WordCache(slotBytes: 64, slotCount: WordCache.defaultSlots)
    var longCache = WordCache(slotBytes: 256, slotCount: 1 << 12)
    var revMerge: [Int32: (Int32, Int32)] = [:]
    var syms: UnsafeMutablePointer<MergeSymbol>? = nil
    var symCap = 0
    var heap: UnsafeMutablePointer<PairEntry>? = nil
    var heapCap = 0
    var pairScore: UnsafeMutablePointer<Float>? = nil
    var pairID: UnsafeMutablePointer<Int32>? = nil
    /// Ids of the line being encoded (at most one per normalised byte), appended to the caller's array once.
    var out: UnsafeMutablePointer<Int32>? = nil
    var outCap = 0
    /// `smallMerge`'s symbols (sid | length << 16 | code << 24) and pairs (`PairTable.findPacked`).
    var smallSym = UnsafeMutablePointer<UInt32>.allocate(capacity: packedMergeLimit + 1)
    var smallPair = UnsafeMutablePointer<UInt32>.allocate(capacity: packedMergeLimit + 1)
    /// The batch of words whose cache slots are being fetched.
    var words = UnsafeMutablePointer<WordRef>.allocate(capacity: wordBatch)

    mutating func reserveOutput(_ n: Int) {
        if n > outCap {
            out?.deallocate()
            outCap = max(n, 2 * outCap, 1024)
            out = .allocate(capacity: outCap)
        }
    }

    mutating func reserve(symbols n: Int) {
        if n > symCap {
            syms?.deallocate(); pairScore?.deallocate(); pairID?.deallocate()
            symCap = max(n, 2 * symCap, 256)
            syms = .allocate(capacity: symCap)
            pairScore = .allocate(capacity: symCap)
            pairID = .allocate(capacity: symCap)
        }
        let h = 3 * n + 4   // n-1 initial pairs + at most 2 per merge
        if h > heapCap {
            heap?.deallocate()
            heapCap = max(h, 2 * heapCap, 1024)
            heap = .allocate(capacity: heapCap)
        }
    }

    func release() {
        syms?.deallocate(); heap?.deallocate(); pairScore?.deallocate(); pairID?.deallocate(); out?.deallocate()
        words.deallocate(); smallSym.deallocate(); smallPair.deallocate(); cache.release(); longCache.release()
    }
}

/// A word of the normalised line (a '▁' run and the characters up to the next '▁') and its hash.
struct WordRef {
    var start: Int
    var end: Int
    var hash: UInt64
}

/// Words looked up together: their cache-slot loads are issued before any is used.
let wordBatch = 16

/// Not thread-safe: one per thread (`SentencePieceModel` keeps a pool).
final class BPEWorkspace {
    var s = EncodeScratch()
    init() {}
    deinit { s.release() }
}

/// Chunks with at most this many initial symbols use the linear-scan merge loop.
let smallMergeLimit = 32
/// Words of at most this many characters (and 255 bytes) use `smallMerge`, when the model allows.
let packedMergeLimit = 64

/// The merge loop over `sc.normalized[range]`, appending (id, start, length) of each final symbol to
/// `sc.symbols`. Initial symbols are user-defined matches (frozen) or single UTF-8 characters.
func bpeMerge(_ model: SentencePieceModel, _ sc: inout EncodeScratch, range: Range<Int>) {
    if model.packedMerge && !model.hasUnused && model.normalizer.userDefined.isEmpty && smallMerge(model, &sc, range: range) { return }
    let symTable = model.symbolRaw
    let pairs = model.pairs
    let ascii = model.asciiSIDPtr
    let asciiPairs = model.asciiPairPtr
    let vocab = Int32(model.vocabSize)
    let hasUser = !model.normalizer.userDefined.isEmpty
    sc.reserve(symbols: range.count)
    let syms = sc.syms!
    let heap = sc.heap!
    let hasUnused = model.hasUnused
    if hasUnused { sc.revMerge.removeAll(keepingCapacity: true) }
    sc.normalized.withUnsafeBufferPointer { nbuf in
        let base = nbuf.baseAddress!
        var n = 0
        var i = range.lowerBound
        let end = range.upperBound
        while i < end {
            var l = 0
            var f = false
            if hasUser { l = model.normalizer.userDefined.match(base + i, end - i); f = l > 0 }
            let c = base[i]
            var sid: Int32
            if l == 0 && c < 0x80 {
                l = 1; sid = ascii[Int(c)]
            } else {
                if l == 0 { l = min(end - i, oneCharLen(c)) }
                sid = symTable.find(base + i, l)
            }
            syms[n] = MergeSymbol(start: Int32(i), length: Int32(l), sid: sid, prev: Int32(n - 1), next: Int32(n + 1), frozen: f)
            n += 1
            i += l
        }
        if n == 0 { return }
        syms[n - 1].next = -1
        if n <= smallMergeLimit && !hasUnused {
            // Few symbols: a linear scan for the best pair beats a heap. Same order as the heap: highest
            // score, ties -> leftmost (the scan keeps the first maximum); merged symbols are removed by
            // shifting, so indices stay left-to-right.
            let score = sc.pairScore!, pid = sc.pairID!
            @inline(__always) func look(_ k: Int) {
                let ls = syms[k], rs = syms[k + 1]
                pid[k] = -1
                if ls.frozen || rs.frozen || ls.sid < 0 || rs.sid < 0 { return }
                if ls.length == 1 && rs.length == 1 && (base[Int(ls.start)] | base[Int(rs.start)]) < 0x80 {
                    let id = asciiPairs[Int(base[Int(ls.start)]) << 7 | Int(base[Int(rs.start)])]
                    if id >= 0 { pid[k] = id; score[k] = model.scoresPtr[Int(id)] }
                } else {
                    let hit = pairs.find(ls.sid, rs.sid)
                    if hit.id >= 0 { pid[k] = hit.id; score[k] = hit.score }
                }
            }
            var m = n
            for k in 0..<(m - 1) { look(k) }
            while m > 1 {
                var best = -1
                var bestScore: Float = 0
                for k in 0..<(m - 1) where pid[k] >= 0 && (best < 0 || score[k] > bestScore) {
                    best = k; bestScore = score[k]
                }
                if best < 0 { break }
                syms[best].length += syms[best + 1].length
                syms[best].sid = pid[best]
                var k = best + 1
                while k < m - 1 { syms[k] = syms[k + 1]; pid[k] = pid[k + 1]; score[k] = score[k + 1]; k += 1 }
                m -= 1
                if best > 0 { look(best - 1) }
                if best < m - 1 { look(best) }
            }
            for k in 0..<m {
                let s = syms[k]
                sc.symbols.append(EncodedSymbol(id: s.sid < vocab ? s.sid : -1, start: s.start, length: s.length))
            }
            return
        }
        var hc = 0   // heap count

        @inline(__always) func push(_ e: PairEntry) {
            var k = hc
            hc += 1
            while k > 0 {
                let p = (k - 1) >> 1
                if !e.before(heap[p]) { break }
                heap[k] = heap[p]; k = p
            }
            heap[k] = e
        }
        @inline(__always) func pop() -> PairEntry {
            let top = heap[0]
            hc -= 1
            if hc > 0 {
                let x = heap[hc]
                var k = 0
                while true {
                    let l = 2 * k + 1
                    if l >= hc { break }
                    var c = l
                    if l + 1 < hc && heap[l + 1].before(heap[l]) { c = l + 1 }
                    if !heap[c].before(x) { break }
                    heap[k] = heap[c]; k = c
                }
                heap[k] = x
            }
            return top
        }
        @inline(__always) func tryPair(_ left: Int32, _ right: Int32, _ sc: inout EncodeScratch) {
            if left < 0 || right < 0 { return }
            let ls = syms[Int(left)], rs = syms[Int(right)]
            if ls.frozen || rs.frozen || ls.sid < 0 || rs.sid < 0 { return }
            let hit: (id: Int32, score: Float)
            if ls.length == 1 && rs.length == 1 && (base[Int(ls.start)] | base[Int(rs.start)]) < 0x80 {
                // Two ASCII characters: a direct 128x128 table that stays in cache.
                let id = asciiPairs[Int(base[Int(ls.start)]) << 7 | Int(base[Int(rs.start)])]
                if id < 0 { return }
                hit = (id, model.scoresPtr[Int(id)])
            } else {
                hit = pairs.find(ls.sid, rs.sid)
                if hit.id < 0 { return }
            }
            push(PairEntry(score: hit.score, left: left, right: right, size: ls.length + rs.length, id: hit.id))
            if hasUnused && model.types[Int(hit.id)] == PieceType.unused.rawValue {
                sc.revMerge[hit.id] = (ls.sid < vocab ? ls.sid : -1, rs.sid < vocab ? rs.sid : -1)
            }
        }

        if n > 1 {
            for k in 1..<n { tryPair(Int32(k - 1), Int32(k), &sc) }
        }
        while hc > 0 {
            let top = pop()
            let l = Int(top.left), r = Int(top.right)
            let ll = syms[l].length, rl = syms[r].length
            if ll == 0 || rl == 0 || ll + rl != top.size { continue }
            syms[l].length = ll + rl
            syms[l].sid = top.id
            let nx = syms[r].next
            syms[l].next = nx
            if nx >= 0 { syms[Int(nx)].prev = Int32(l) }
            syms[r].length = 0
            tryPair(syms[l].prev, Int32(l), &sc)
            tryPair(Int32(l), nx, &sc)
        }
        var k: Int32 = 0
        while k >= 0 {
            let s = syms[Int(k)]
            let id = s.sid < vocab ? s.sid : -1
            if hasUnused {
                appendResegmented(model, &sc, id: id, start: s.start, length: s.length)
            } else {
                sc.symbols.append(EncodedSymbol(id: id, start: s.start, length: s.length))
            }
            k = s.next
        }
    }
}

/// The merge loop for short words (`packedMergeLimit` characters, 255 bytes) of models with a compact,
/// ranked pair table and no user-defined or UNUSED pieces; false (nothing appended) otherwise.
/// Symbols and pairs are one 32-bit word each, kept left to right and shifted on a merge. A pair's
/// value is `(score rank + 1) << 16 | merged id` (0: no merge), so the best merge is the largest
/// `value >> 16 << 8 | (255 - index)`: highest score, ties to the leftmost, as sentencepiece's heap.
// Wrapping arithmetic (&+, &-) throughout: symbol counts are below 256 (checked at entry) and byte
// offsets stay inside the normalised buffer, so the overflow checks -O adds can never fire; they cost
// ~14% of this kernel's instructions (callgrind, Llama 2 model on 500 KB of text).
func smallMerge(_ model: SentencePieceModel, _ sc: inout EncodeScratch, range: Range<Int>) -> Bool {
    let sym = sc.smallSym, pair = sc.smallPair
    let ascii = model.asciiSIDPtr
    let table = model.smallPairPtr
    let pairs = model.pairs
    let symTable = model.symbolRaw
    let spaceSID = model.spaceSID
    let vocab = UInt32(model.vocabSize)
    let none: UInt32 = 0xFFFF   // sid of a character that is no symbol
    if range.count > 255 { return false }   // lengths are 8-bit
    return sc.normalized.withUnsafeBufferPointer { nbuf -> Bool in
        let base = nbuf.baseAddress!
        var m = 0
        var i = range.lowerBound
        let end = range.upperBound
        while i < end {
            if m == packedMergeLimit { return false }
            let c = base[i]
            if c < 0x80 {
                let sid = ascii[Int(c)]
                sym[m] = (sid < 0 ? none : UInt32(sid)) | 1 << 16 | UInt32(c) << 24
                i &+= 1
            } else if c == 0xE2 && i + 2 < end && base[i + 1] == 0x96 && base[i + 2] == 0x81 {
                sym[m] = (spaceSID < 0 ? none : UInt32(spaceSID)) | 3 << 16 | 128 << 24
                i &+= 3
            } else {
                let l = min(end - i, oneCharLen(c))
                let sid = symTable.find(base + i, l)
                sym[m] = (sid < 0 ? none : UInt32(sid)) | UInt32(l) << 16 | 255 << 24
                i &+= l
            }
            m &+= 1
        }
        @inline(__always) func look(_ k: Int) {
            let a = sym[k], b = sym[k &+ 1]
            let ca = a >> 24, cb = b >> 24
            if ca <= 128 && cb <= 128 {
                pair[k] = table[Int(ca &* 129 &+ cb)]
            } else if a & 0xFFFF != none && b & 0xFFFF != none {
                pair[k] = pairs.findPacked(Int32(a & 0xFFFF), Int32(b & 0xFFFF))
            } else {
                pair[k] = 0
            }
        }
        if m > 1 { for k in 0..<(m &- 1) { look(k) } }
        while m > 1 {
            var best: UInt32 = 0
            for k in 0..<(m &- 1) { best = max(best, (pair[k] >> 16) << 8 | UInt32(255 &- k)) }
            if best < 256 { break }   // no pair merges
            let k = 255 &- Int(best & 255)
            let merged = pair[k] & 0xFFFF
            sym[k] = merged | ((sym[k] >> 16 & 0xFF) &+ (sym[k &+ 1] >> 16 & 0xFF)) << 16 | 255 << 24
            var j = k &+ 1
            while j < m &- 1 { sym[j] = sym[j &+ 1]; pair[j] = pair[j &+ 1]; j &+= 1 }
            m &-= 1
            if k > 0 { look(k &- 1) }
            if k < m &- 1 { look(k) }
        }
        var start = Int32(range.lowerBound)
        for k in 0..<m {
            let s = sym[k]
            let sid = s & 0xFFFF, len = Int32(s >> 16 & 0xFF)
            sc.symbols.append(EncodedSymbol(id: sid < vocab ? Int32(sid) : -1, start: start, length: len))
            start &+= len
        }
        return true
    }
}

/// UNUSED pieces are split back into the two pieces last seen forming them (SentencePiece's
/// `rev_merge` + `resegment`), recursively.
func appendResegmented(_ model: SentencePieceModel, _ sc: inout EncodeScratch, id: Int32, start: Int32, length: Int32) {
    if id >= 0 && model.types[Int(id)] == PieceType.unused.rawValue, let (a, b) = sc.revMerge[id], a >= 0, b >= 0 {
        let la = model.raw.length(a)
        appendResegmented(model, &sc, id: a, start: start, length: la)
        appendResegmented(model, &sc, id: b, start: start + la, length: length - la)
        return
    }
    sc.symbols.append(EncodedSymbol(id: id, start: start, length: length))
}

/// Memo of word bytes -> piece ids, for models where no piece spans a word start. Direct-mapped over
/// fixed-size slots (64 bytes, one cache line, for ordinary words; 256 for long ones): a 32-bit hash
/// tag, the key length and id count, the ids as 16-bit values, then the key bytes, as many as fit in
/// the slot after its 8-byte header (in 64 bytes: a 40-byte word of 8 pieces, a 52-byte word of 2).
/// Words that do not fit, or hold an id above 65534, are not memoised; a colliding word replaces the
/// slot. The table is mapped lazily (zero pages) and asks for huge pages, since lookups land all over it.
struct WordCache {
    static let idsAt = 8
    /// Slots of the ordinary-word table (env SPINDLE_WORD_CACHE_SLOTS overrides, rounded to a power of
    /// two): 32 MiB. On the 20 MB benchmark corpus (2.9 M words, 416 K distinct) it misses 468 K
    /// times, against 510 K with 16 MiB and 443 K with 64 MiB; encoding was fastest from 32 MiB up.
    static let defaultSlots: Int = {
        if let e = getenv("SPINDLE_WORD_CACHE_SLOTS"), let v = Int(String(cString: e)), v > 0 {
            var c = 1; while c < v { c <<= 1 }; return c
        }
        return 1 << 19
    }()
    private var mem: UnsafeMutableRawPointer? = nil
    private var mapping: UnsafeMutableRawPointer? = nil
    private var mappedBytes = 0
    private var mask = 0
    private var tried = false
    private let shift: Int
    /// Key and id bytes per slot.
    let payloadBytes: Int
    /// Slots mapped on first insert (tests shrink it to force collisions).
    var slotCount: Int

    /// `slotBytes`: a power of two, at least 16.
    init(slotBytes: Int, slotCount: Int) {
        shift = slotBytes.trailingZeroBitCount
        payloadBytes = slotBytes - Self.idsAt
        self.slotCount = slotCount
    }

    /// True when a word of `n` bytes could be cached here (with at least one id).
    @inline(__always) func fits(_ n: Int) -> Bool { n + 2 <= payloadBytes }

    mutating func allocate(slots: Int) {
        let bytes = slots << shift
        let huge = 2 << 20
        mappedBytes = bytes + huge
        guard let m = mmap(nil, mappedBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
              m != UnsafeMutableRawPointer(bitPattern: -1) else {
            mappedBytes = 0
            return   // no memory for a memo: every word runs the merge loop
        }
        mapping = m
        let aligned = (Int(bitPattern: m) + huge - 1) & ~(huge - 1)
        mem = UnsafeMutableRawPointer(bitPattern: aligned)
        #if os(Linux)
        _ = madvise(mem, bytes, MADV_HUGEPAGE)
        #endif
        mask = slots - 1
    }

    func release() { if let mapping { munmap(mapping, mappedBytes) } }

    @inline(__always) private func slot(_ h: UInt64) -> UnsafeMutableRawPointer {
        mem! + (Int(truncatingIfNeeded: h) & mask) << shift
    }

    /// Starts fetching the slot of hash `h` so that a later lookup finds it in the CPU cache: the
    /// fetches of a batch of words overlap instead of each lookup waiting for memory.
    @inline(__always)
    func prefetch(_ h: UInt64) {
        guard mem != nil else { return }
        spindle_prefetch(slot(h))
    }

    /// Writes the cached ids of the word at `out`, returning their count, or -1 when absent.
    @inline(__always)
    func lookup(_ p: UnsafePointer<UInt8>, _ n: Int, hash h: UInt64, into out: UnsafeMutablePointer<Int32>) -> Int {
        guard mem != nil, fits(n) else { return -1 }
        let s = slot(h)
        // Header: 32 hash bits, then length and id count.
        guard s.load(as: UInt32.self) == UInt32(truncatingIfNeeded: h >> 32),
              s.load(fromByteOffset: 4, as: UInt8.self) == UInt8(truncatingIfNeeded: n) else { return -1 }
        let c = Int(s.load(fromByteOffset: 5, as: UInt8.self))
        guard sameBytes(s + Self.idsAt + 2 * c, UnsafeRawPointer(p), n) else { return -1 }
        for k in 0..<c { out[k] = Int32(s.load(fromByteOffset: Self.idsAt + 2 * k, as: UInt16.self)) }
        return c
    }

    /// Caches a word's ids when they fit (all in the vocabulary and below 65535).
    @inline(__always)
    mutating func insert(_ p: UnsafePointer<UInt8>, _ n: Int, hash h: UInt64, ids: UnsafeBufferPointer<Int32>) {
        if !tried { tried = true; allocate(slots: slotCount) }
        guard mem != nil, !ids.isEmpty, n <= 255, n + 2 * ids.count <= payloadBytes else { return }
        for id in ids where id < 0 || id > 65534 { return }
        let s = slot(h)
        s.storeBytes(of: UInt32(truncatingIfNeeded: h >> 32), as: UInt32.self)
        s.storeBytes(of: UInt8(n), toByteOffset: 4, as: UInt8.self)
        s.storeBytes(of: UInt8(ids.count), toByteOffset: 5, as: UInt8.self)
        for (k, id) in ids.enumerated() { s.storeBytes(of: UInt16(truncatingIfNeeded: id), toByteOffset: Self.idsAt + 2 * k, as: UInt16.self) }
        (s + Self.idsAt + 2 * ids.count).copyMemory(from: p, byteCount: n)
    }
}

/// Byte equality of two short ranges, 8 bytes at a time.
@inline(__always)
func sameBytes(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ n: Int) -> Bool {
    var i = 0
    while i + 8 <= n {
        if a.loadUnaligned(fromByteOffset: i, as: UInt64.self) != b.loadUnaligned(fromByteOffset: i, as: UInt64.self) { return false }
        i += 8
    }
    while i < n {
        if a.load(fromByteOffset: i, as: UInt8.self) != b.load(fromByteOffset: i, as: UInt8.self) { return false }
        i += 1
    }
    return true
}
