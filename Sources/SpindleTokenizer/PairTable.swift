// (left symbol, right symbol) -> merged piece, precomputed from every split of every mergeable piece.
// SentencePiece merges any adjacent pair whose concatenation is a piece; listing every split of every
// piece into two known symbols gives exactly those pairs, so the merge loop can look pairs up by two
// integers instead of hashing byte strings.

/// Symbol ids: piece ids, plus extra ids (>= vocab size) for characters that occur inside mergeable
/// pieces without being pieces themselves (they can still merge, e.g. in edited vocabularies).
struct SymbolVocabulary {
    let table: PieceTable          // pieces, then extra characters
    let vocabSize: Int
}

// Why @unchecked Sendable: its raw tables are filled before the model is shared and only read after.
struct PairTable: @unchecked Sendable {
    /// Compact slots when every symbol id fits in 16 bits (8 bytes: key, merged id, score rank + 1, so
    /// the merge loop needs no second load for the score); wide otherwise.
    struct Slot { var key: UInt64; var id: Int32; var score: Float }
    struct SmallSlot { var key: UInt32; var id: UInt16; var rank1: UInt16 }
    let slots: UnsafeMutablePointer<Slot>?
    let small: UnsafeMutablePointer<SmallSlot>?
    /// Compact tables: one bit per 2^20 hash values, set for every pair (128 KiB, which stays in the CPU
    /// cache when the 1 MiB table does not). About half the pairs the merge loop asks for are not pieces
    /// (53 % of 4.2 M on the 20 MB benchmark corpus); the filter turns 94 % of those away without
    /// touching the table (Llama 2's 61 K pairs set 6 % of the bits).
    let filter: UnsafeMutablePointer<UInt64>?
    static let filterBits = 20
    let scores: UnsafePointer<Float>
    let mask: Int
    let count: Int
    static let empty = UInt64.max

    @inline(__always) static func hash(_ k: UInt64) -> Int {
        var h = k &* 0x9E37_79B9_7F4A_7C15
        h ^= h >> 29
        return Int(truncatingIfNeeded: h)
    }

    /// `ranks1[id]`: 1 + the rank of piece `id`'s score among all distinct scores (ascending), for
    /// compact tables (`PieceScoreRanks`); 0 where unknown.
    init(pairs: [(UInt64, Int32, Float)], maxSymbolID: Int, scores: UnsafePointer<Float>, ranks1: [UInt16] = []) {
        var cap = 16
        while cap < pairs.count * 2 { cap <<= 1 }
        mask = cap - 1
        count = pairs.count
        self.scores = scores
        if maxSymbolID < 0xFFFF {
            let sm = UnsafeMutablePointer<SmallSlot>.allocate(capacity: cap)
            sm.initialize(repeating: SmallSlot(key: UInt32.max, id: 0, rank1: 0), count: cap)
            for (k, id, _) in pairs {
                let k32 = UInt32(k >> 32) << 16 | UInt32(k & 0xFFFF)
                var i = Self.hash(UInt64(k32)) & mask
                while sm[i].key != UInt32.max && sm[i].key != k32 { i = (i + 1) & mask }
                sm[i] = SmallSlot(key: k32, id: UInt16(id), rank1: Int(id) < ranks1.count ? ranks1[Int(id)] : 0)
            }
            let f = UnsafeMutablePointer<UInt64>.allocate(capacity: 1 << (Self.filterBits - 6))
            f.initialize(repeating: 0, count: 1 << (Self.filterBits - 6))
            for (k, _, _) in pairs {
                let bit = Int((UInt64(UInt32(k >> 32) << 16 | UInt32(k & 0xFFFF)) &* 0x9E37_79B9_7F4A_7C15) >> (64 - Self.filterBits))
                f[bit >> 6] |= 1 << UInt64(bit & 63)
            }
            small = sm; slots = nil; filter = f
        } else {
            let sl = UnsafeMutablePointer<Slot>.allocate(capacity: cap)
            sl.initialize(repeating: Slot(key: Self.empty, id: -1, score: 0), count: cap)
            for (k, id, s) in pairs {
                var i = Self.hash(k) & mask
                while sl[i].key != Self.empty && sl[i].key != k { i = (i + 1) & mask }
                sl[i] = Slot(key: k, id: id, score: s)
            }
            slots = sl; small = nil; filter = nil
        }
    }

    func deallocate() { slots?.deallocate(); small?.deallocate(); filter?.deallocate() }

    /// The merged piece of (left, right) and its score; id -1 when the pair is not a piece.
    @inline(__always)
    func find(_ left: Int32, _ right: Int32) -> (id: Int32, score: Float) {
        if let sm = small {
            let k = UInt32(truncatingIfNeeded: left) << 16 | UInt32(truncatingIfNeeded: right)
            var i = Self.hash(UInt64(k)) & mask
            while true {
                let s = sm[i]
                if s.key == k { return (Int32(s.id), scores[Int(s.id)]) }
                if s.key == UInt32.max { return (-1, 0) }
                i = (i + 1) & mask
            }
        }
        let sl = slots!
        let k = UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
        var i = Self.hash(k) & mask
        while true {
            let s = sl[i]
            if s.key == k { return (s.id, s.score) }
            if s.key == Self.empty { return (-1, 0) }
            i = (i + 1) & mask
        }
    }

    /// Compact tables only: the merged piece of (left, right) as `(rank + 1) << 16 | id`, or 0 when the
    /// pair is not a piece (so a larger value is a better merge, whatever the id).
    @inline(__always)
    func findPacked(_ left: Int32, _ right: Int32) -> UInt32 {
        let sm = small.unsafelyUnwrapped
        let k = UInt32(truncatingIfNeeded: left) << 16 | UInt32(truncatingIfNeeded: right)
        let h = UInt64(k) &* 0x9E37_79B9_7F4A_7C15   // as `hash`, whose top bits index the filter
        let bit = Int(h >> (64 - Self.filterBits))
        if filter.unsafelyUnwrapped[bit >> 6] & (1 << UInt64(bit & 63)) == 0 { return 0 }
        var i = Int(truncatingIfNeeded: h ^ (h >> 29)) & mask
        while true {
            let s = sm[i]
            if s.key == k { return UInt32(s.rank1) << 16 | UInt32(s.id) }
            if s.key == UInt32.max { return 0 }
            i = (i + 1) & mask
        }
    }

    var isCompact: Bool { small != nil }
}

/// 1 + the rank of each score among the distinct scores in ascending order (equal scores share a rank),
/// or nil when the ranks do not fit 16 bits or a score is NaN (NaN has no rank: such models use floats).
func pieceScoreRanks(_ scores: [Float]) -> [UInt16]? {
    if scores.contains(where: \.isNaN) { return nil }
    let distinct = Array(Set(scores)).sorted()
    guard distinct.count < 0xFFFF else { return nil }
    var rankOf: [Float: UInt16] = [:]
    for (r, v) in distinct.enumerated() { rankOf[v] = UInt16(r + 1) }
    return scores.map { rankOf[$0]! }
}

/// Builds the symbol table and pair table for a vocabulary.
func buildPairTable(pieces: [[UInt8]], mergeable: [Bool], scores: [Float], scoresPtr: UnsafePointer<Float>,
                    ranks1: [UInt16] = []) -> (symbols: PieceTable, pairs: PairTable) {
    // Characters of mergeable pieces that are not pieces.
    let base = try! PieceTable(pieces: pieces.enumerated().map { $0.element })   // duplicates checked by the caller
    var extra: [[UInt8]] = []
    var extraSet = Set<[UInt8]>()
    for (i, p) in pieces.enumerated() where mergeable[i] {
        var k = 0
        while k < p.count {
            let l = min(p.count - k, oneCharLen(p[k]))
            let c = Array(p[k..<(k + l)])
            let known = c.withUnsafeBufferPointer { base.find($0.baseAddress!, $0.count) } >= 0
            if !known && extraSet.insert(c).inserted { extra.append(c) }
            k += l
        }
    }
    let symbols = extra.isEmpty ? base : try! PieceTable(pieces: pieces + extra)
    var pairs: [(UInt64, Int32, Float)] = []
    for (i, p) in pieces.enumerated() where mergeable[i] {
        var cut = 0
        p.withUnsafeBufferPointer { b in
            let bp = b.baseAddress!
            cut = oneCharLen(bp[0])
            while cut < p.count {
                let l = symbols.find(bp, cut)
                let r = symbols.find(bp + cut, p.count - cut)
                if l >= 0 && r >= 0 {
                    pairs.append((UInt64(UInt32(l)) << 32 | UInt64(UInt32(r)), Int32(i), scores[i]))
                }
                cut += oneCharLen(bp[cut])
            }
        }
    }
    return (symbols, PairTable(pairs: pairs, maxSymbolID: symbols.count - 1, scores: scoresPtr, ranks1: ranks1))
}
