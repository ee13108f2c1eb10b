#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
// The BPE merge loop of SentencePiece (`bpe::Model::SampleEncode` with alpha = 0) on contiguous buffers:
// symbols are byte ranges of the normalised text, pairs are looked up by their byte range in the piece
// table, and a binary heap orders them by (score desc, left asc). Nothing is allocated per token.

/// A candidate merge: the piece formed by symbols `left` and `right`, of `size` bytes.
struct PairEntry {
    var score: Float
    var left: Int32
    var right: Int32
    var size: Int32

    /// Heap order: higher score first; ties -> smaller left index (SentencePiece's comparator).
    @inline(__always)
    func before(_ o: PairEntry) -> Bool { score > o.score || (score == o.score && left < o.left) }
}

/// One output symbol of the merge loop: its piece id (-1 when not in the vocabulary) and byte range.
public struct EncodedSymbol: Equatable, Sendable {
    public var id: Int32
    public var start: Int32
    public var length: Int32
}

/// Reusable scratch space for encoding. Not thread-safe: use one per thread (`SentencePieceModel`
/// keeps a pool).
final class BPEWorkspace {
    var normalized: [UInt8] = []
    var symStart: [Int32] = []
    var symLen: [Int32] = []
    var prev: [Int32] = []
    var next: [Int32] = []
    var frozen: [Bool] = []
    var heap: [PairEntry] = []
    var symbols: [EncodedSymbol] = []
    var cache = ChunkCache()
    var revMerge: [Int32: (Int32, Int32)] = [:]

    init() {}
}

extension BPEWorkspace {
    @inline(__always)
    func heapPush(_ e: PairEntry) {
        heap.append(e)
        heap.withUnsafeMutableBufferPointer { h in
            var i = h.count - 1
            while i > 0 {
                let p = (i - 1) >> 1
                if !h[i].before(h[p]) { break }
                h.swapAt(i, p); i = p
            }
        }
    }

    @inline(__always)
    func heapPop() -> PairEntry {
        let top = heap[0]
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap.withUnsafeMutableBufferPointer { h in
                let n = h.count
                var i = 0
                let x = last
                while true {
                    let l = 2 * i + 1
                    if l >= n { break }
                    var c = l
                    if l + 1 < n && h[l + 1].before(h[l]) { c = l + 1 }
                    if !h[c].before(x) { break }
                    h[i] = h[c]; i = c
                }
                h[i] = x
            }
        }
        return top
    }
}

/// The merge loop over `normalized[range]`, appending (id, start, length) of each final symbol to
/// `ws.symbols`. Initial symbols are user-defined matches (frozen) or single UTF-8 characters.
@inline(__always)
func bpeMerge(_ model: SentencePieceModel, _ ws: BPEWorkspace, range: Range<Int>) {
    let table = model.table
    let mergeable = model.mergeable
    let scores = model.scores
    ws.normalized.withUnsafeBufferPointer { nbuf in
        let base = nbuf.baseAddress!
        ws.symStart.removeAll(keepingCapacity: true)
        ws.symLen.removeAll(keepingCapacity: true)
        ws.frozen.removeAll(keepingCapacity: true)
        var i = range.lowerBound
        let end = range.upperBound
        let matcher = model.normalizer.userDefined
        let hasUser = !matcher.isEmpty
        while i < end {
            var l = 0
            var f = false
            if hasUser { l = matcher.match(base + i, end - i); f = l > 0 }
            if l == 0 { l = min(end - i, oneCharLen(base[i])) }
            ws.symStart.append(Int32(i)); ws.symLen.append(Int32(l)); ws.frozen.append(f)
            i += l
        }
        let n = ws.symStart.count
        if n == 1 {
            let id = table.find(base + Int(ws.symStart[0]), Int(ws.symLen[0]))
            ws.symbols.append(EncodedSymbol(id: id, start: ws.symStart[0], length: ws.symLen[0]))
            return
        }
        ws.prev.removeAll(keepingCapacity: true)
        ws.next.removeAll(keepingCapacity: true)
        for k in 0..<n { ws.prev.append(Int32(k - 1)); ws.next.append(k + 1 < n ? Int32(k + 1) : -1) }
        ws.heap.removeAll(keepingCapacity: true)
        let hasUnused = model.hasUnused
        if hasUnused { ws.revMerge.removeAll(keepingCapacity: true) }

        @inline(__always) func tryPair(_ left: Int32, _ right: Int32) {
            if left < 0 || right < 0 { return }
            if ws.frozen[Int(left)] || ws.frozen[Int(right)] { return }
            let s = Int(ws.symStart[Int(left)])
            let size = Int(ws.symLen[Int(left)] + ws.symLen[Int(right)])
            let id = table.find(base + s, size)
            if id < 0 || !mergeable[Int(id)] { return }
            ws.heapPush(PairEntry(score: scores[Int(id)], left: left, right: right, size: Int32(size)))
            if hasUnused && model.types[Int(id)] == PieceType.unused.rawValue {
                let a = table.find(base + s, Int(ws.symLen[Int(left)]))
                let b = table.find(base + Int(ws.symStart[Int(right)]), Int(ws.symLen[Int(right)]))
                ws.revMerge[id] = (a, b)
            }
        }

        for k in 1..<n { tryPair(Int32(k - 1), Int32(k)) }
        while !ws.heap.isEmpty {
            let top = ws.heapPop()
            let l = Int(top.left), r = Int(top.right)
            let ll = ws.symLen[l], rl = ws.symLen[r]
            if ll == 0 || rl == 0 || ll + rl != top.size { continue }
            ws.symLen[l] = ll + rl
            let nx = ws.next[r]
            ws.next[l] = nx
            if nx >= 0 { ws.prev[Int(nx)] = Int32(l) }
            ws.symLen[r] = 0
            tryPair(ws.prev[l], Int32(l))
            tryPair(Int32(l), nx)
        }
        var k: Int32 = 0
        while k >= 0 {
            let s = ws.symStart[Int(k)], len = ws.symLen[Int(k)]
            let id = table.find(base + Int(s), Int(len))
            appendResegmented(model, ws, base, id: id, start: s, length: len)
            k = ws.next[Int(k)]
        }
    }
}

/// UNUSED pieces are split back into the two pieces last seen forming them (SentencePiece's
/// `rev_merge` + `resegment`), recursively.
@inline(__always)
func appendResegmented(_ model: SentencePieceModel, _ ws: BPEWorkspace, _ base: UnsafePointer<UInt8>,
                       id: Int32, start: Int32, length: Int32) {
    if id >= 0 && model.types[Int(id)] == PieceType.unused.rawValue, let (a, b) = ws.revMerge[id] {
        let la = Int32(model.table.bytes(Int(a)).count)
        appendResegmented(model, ws, base, id: a, start: start, length: la)
        appendResegmented(model, ws, base, id: b, start: start + la, length: length - la)
        return
    }
    ws.symbols.append(EncodedSymbol(id: id, start: start, length: length))
}

/// Memo of chunk bytes -> final symbols (id, length), for models where no piece spans a word boundary.
/// Open addressing with stored hashes; cleared when it fills its budget.
struct ChunkCache {
    private var slots: [Int32] = []          // entry index or -1
    private var hashes: [UInt64] = []
    private var keyStart: [Int32] = []
    private var keyLen: [Int32] = []
    private var valStart: [Int32] = []
    private var valCount: [Int32] = []
    private var keys: [UInt8] = []
    private(set) var values: [EncodedSymbol] = []   // start is relative to the chunk
    private var mask = 0
    static let maxEntries = 1 << 18
    static let maxKeyLength = 256

    init() {}

    mutating func reset() {
        slots = [Int32](repeating: -1, count: 1 << 15); mask = slots.count - 1
        hashes.removeAll(keepingCapacity: true); keyStart.removeAll(keepingCapacity: true)
        keyLen.removeAll(keepingCapacity: true); valStart.removeAll(keepingCapacity: true)
        valCount.removeAll(keepingCapacity: true); keys.removeAll(keepingCapacity: true)
        values.removeAll(keepingCapacity: true)
    }

    /// (start, count) of the cached symbols for the key, or nil.
    @inline(__always)
    func lookup(_ p: UnsafePointer<UInt8>, _ n: Int, hash h: UInt64) -> (Int, Int)? {
        if slots.isEmpty { return nil }
        var i = Int(truncatingIfNeeded: h) & mask
        while true {
            let e = Int(slots[i])
            if e < 0 { return nil }
            if hashes[e] == h && Int(keyLen[e]) == n {
                let same = keys.withUnsafeBufferPointer { memcmp($0.baseAddress! + Int(keyStart[e]), p, n) == 0 }
                if same { return (Int(valStart[e]), Int(valCount[e])) }
            }
            i = (i + 1) & mask
        }
    }

    mutating func insert(_ p: UnsafePointer<UInt8>, _ n: Int, hash h: UInt64, symbols: ArraySlice<EncodedSymbol>, chunkStart: Int32) {
        if slots.isEmpty || hashes.count >= Self.maxEntries { reset() }
        if (hashes.count + 1) * 2 > slots.count { grow() }
        let e = Int32(hashes.count)
        hashes.append(h); keyStart.append(Int32(keys.count)); keyLen.append(Int32(n))
        keys.append(contentsOf: UnsafeBufferPointer(start: p, count: n))
        valStart.append(Int32(values.count)); valCount.append(Int32(symbols.count))
        for s in symbols { values.append(EncodedSymbol(id: s.id, start: s.start - chunkStart, length: s.length)) }
        var i = Int(truncatingIfNeeded: h) & mask
        while slots[i] >= 0 { i = (i + 1) & mask }
        slots[i] = e
    }

    private mutating func grow() {
        slots = [Int32](repeating: -1, count: slots.count * 2); mask = slots.count - 1
        for e in 0..<hashes.count {
            var i = Int(truncatingIfNeeded: hashes[e]) & mask
            while slots[i] >= 0 { i = (i + 1) & mask }
            slots[i] = Int32(e)
        }
    }
}
