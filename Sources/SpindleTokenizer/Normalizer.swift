// SentencePiece's normaliser: precompiled charsmap (or identity), user-defined symbols passed through,
// optional whitespace cleanup, spaces escaped as '▁' (U+2581) and the dummy prefix.

/// U+2581 LOWER ONE EIGHTH BLOCK, SentencePiece's visible space, in UTF-8.
let spaceSymbol: [UInt8] = [0xE2, 0x96, 0x81]
/// U+FFFD REPLACEMENT CHARACTER in UTF-8.
let replacementChar: [UInt8] = [0xEF, 0xBF, 0xBD]

/// Length of the UTF-8 sequence starting at `p[0]` if it is a valid code point (1...4), else 0
/// (SentencePiece's `IsValidDecodeUTF8`: no overlongs, no surrogates, nothing above U+10FFFF).
@inline(__always)
func validUTF8Length(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int {
    let c0 = p[0]
    if c0 < 0x80 { return 1 }
    if c0 < 0xC2 { return 0 }
    if c0 < 0xE0 {
        return n >= 2 && p[1] & 0xC0 == 0x80 ? 2 : 0
    }
    if c0 < 0xF0 {
        guard n >= 3, p[1] & 0xC0 == 0x80, p[2] & 0xC0 == 0x80 else { return 0 }
        if c0 == 0xE0 && p[1] < 0xA0 { return 0 }          // overlong
        if c0 == 0xED && p[1] >= 0xA0 { return 0 }         // surrogate
        return 3
    }
    if c0 < 0xF5 {
        guard n >= 4, p[1] & 0xC0 == 0x80, p[2] & 0xC0 == 0x80, p[3] & 0xC0 == 0x80 else { return 0 }
        if c0 == 0xF0 && p[1] < 0x90 { return 0 }          // overlong
        if c0 == 0xF4 && p[1] >= 0x90 { return 0 }         // > U+10FFFF
        return 4
    }
    return 0
}

/// SentencePiece's `OneCharLen`: the sequence length announced by a lead byte (1 for stray bytes).
@inline(__always)
func oneCharLen(_ b: UInt8) -> Int {
    let t: UInt64 = 0x4322_1111_1111_1111   // nibble table "\1\1\1\1\1\1\1\1\1\1\1\1\2\2\3\4"
    return Int((t >> (UInt64(b >> 4) * 4)) & 0xF)
}

/// Longest-prefix matcher over the user-defined symbols (they bypass normalisation and are never split).
struct PrefixMatcher: Sendable {
    private var table: PieceTable
    private var firstBytes = [Bool](repeating: false, count: 256)
    private var lengths: [Int] = []   // distinct symbol byte lengths, longest first

    init(_ symbols: [String]) {
        let bytes = symbols.filter { !$0.isEmpty }.map { Array($0.utf8) }
        var unique: [[UInt8]] = []
        var seen = Set<[UInt8]>()
        for b in bytes where seen.insert(b).inserted { unique.append(b) }
        table = (try? PieceTable(pieces: unique)) ?? (try! PieceTable(pieces: []))
        for b in unique { firstBytes[Int(b[0])] = true }
        lengths = Array(Set(unique.map(\.count))).sorted(by: >)
    }

    var isEmpty: Bool { lengths.isEmpty }

    /// Length of the longest user-defined symbol at `p`, or 0.
    @inline(__always)
    func match(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int {
        guard !lengths.isEmpty, firstBytes[Int(p[0])] else { return 0 }
        for l in lengths where l <= n {
            if table.find(p, l) >= 0 { return l }
        }
        return 0
    }
}

/// The Darts-clone double-array trie inside a `precompiled_charsmap` blob, searched for the longest prefix.
struct CharsMap: Sendable {
    private let units: [UInt32]
    private let normalized: [UInt8]

    /// Blob layout: `uint32 LE trie_size | trie (trie_size bytes of uint32 units) | NUL-terminated strings`.
    init(blob: [UInt8]) throws(ModelProtoError) {
        guard blob.count >= 4 else { throw .invalidModel("precompiled_charsmap shorter than its header", file: nil) }
        let size = Int(UInt32(blob[0]) | UInt32(blob[1]) << 8 | UInt32(blob[2]) << 16 | UInt32(blob[3]) << 24)
        guard size % 4 == 0, size <= blob.count - 4, size >= 4 else {
            throw .invalidModel("precompiled_charsmap trie size \(size) does not fit the blob", file: nil)
        }
        var u = [UInt32](repeating: 0, count: size / 4)
        for i in 0..<u.count {
            let o = 4 + i * 4
            u[i] = UInt32(blob[o]) | UInt32(blob[o + 1]) << 8 | UInt32(blob[o + 2]) << 16 | UInt32(blob[o + 3]) << 24
        }
        units = u
        normalized = Array(blob[(4 + size)...])
    }

    /// Longest match at `p`: (consumed bytes, replacement range in `normalized`) or nil.
    func longestMatch(_ p: UnsafePointer<UInt8>, _ n: Int) -> (Int, Range<Int>)? {
        @inline(__always) func offset(_ u: UInt32) -> Int { Int((u >> 10) << ((u & (1 << 9)) >> 6)) }
        var best: (Int, Int)? = nil
        var pos = 0
        guard !units.isEmpty else { return nil }
        pos ^= offset(units[0])
        for i in 0..<n {
            pos ^= Int(p[i])
            guard pos >= 0, pos < units.count else { break }
            let unit = units[pos]
            if unit & ((1 << 31) | 0xFF) != UInt32(p[i]) { break }
            pos ^= offset(unit)
            guard pos >= 0, pos < units.count else { break }
            if (unit >> 8) & 1 == 1 {
                best = (i + 1, Int(units[pos] & 0x7FFF_FFFF))
            }
        }
        guard let (len, v) = best, v < normalized.count else { return nil }
        var e = v
        while e < normalized.count && normalized[e] != 0 { e += 1 }
        return (len, v..<e)
    }

    func replacement(_ r: Range<Int>) -> ArraySlice<UInt8> { normalized[r] }
}

/// Normalises text exactly as SentencePiece's `Normalizer::Normalize` does.
struct Normalizer: Sendable {
    let charsMap: CharsMap?
    let userDefined: PrefixMatcher
    let addDummyPrefix: Bool
    let removeExtraWhitespaces: Bool
    let escapeWhitespaces: Bool
    let treatWhitespaceAsSuffix: Bool

    /// Identity normalisation (Llama 2): '▁' prefix, ' ' -> '▁', invalid bytes -> U+FFFD. Worst case 3x;
    /// written to a temporary buffer (on the stack for ordinary lines) and appended in one copy.
    @inline(__always)
    private func normalizeIdentity(_ p: UnsafePointer<UInt8>, _ n: Int, into out: inout [UInt8]) {
        let prefix = addDummyPrefix ? 3 : 0
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 3 * n + prefix) { tmp in
            let o = tmp.baseAddress!
            var w = 0
            if prefix > 0 { o[0] = 0xE2; o[1] = 0x96; o[2] = 0x81; w = 3 }
            var i = 0
            // w stays below the 3n + prefix bytes allocated: wrapping arithmetic in the loop.
            while i < n {
                let c = p[i]
                if c == 0x20 { o[w] = 0xE2; o[w &+ 1] = 0x96; o[w &+ 2] = 0x81; w &+= 3; i &+= 1; continue }
                if c < 0x80 { o[w] = c; w &+= 1; i &+= 1; continue }
                let l = validUTF8Length(p + i, n &- i)
                if l == 0 { o[w] = 0xEF; o[w &+ 1] = 0xBF; o[w &+ 2] = 0xBD; w &+= 3; i &+= 1; continue }
                for k in 0..<l { o[w &+ k] = p[i &+ k] }
                w &+= l; i &+= l
            }
            out.append(contentsOf: UnsafeBufferPointer(start: o, count: w))
        }
    }

    /// True when normalisation is the identity apart from spaces and the prefix (the fast path).
    var isIdentity: Bool { charsMap == nil && !removeExtraWhitespaces && userDefined.isEmpty }

    /// Appends the normalised form of `input` to `out`.
    func normalize(_ input: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        guard let base = input.baseAddress, input.count > 0 else { return }
        if isIdentity && escapeWhitespaces && !treatWhitespaceAsSuffix {
            normalizeIdentity(base, input.count, into: &out)
            return
        }
        let n = input.count
        var i = 0
        let space = escapeWhitespaces ? spaceSymbol : [0x20]
        // One normalised unit at i: (bytes to append, consumed). Identity: copy one valid char or U+FFFD.
        @inline(__always) func prefix(_ i: Int, _ emit: (UnsafeBufferPointer<UInt8>) -> Void) -> Int {
            let p = base + i, rem = n - i
            let u = userDefined.match(p, rem)
            if u > 0 { emit(UnsafeBufferPointer(start: p, count: u)); return u }
            if let cm = charsMap, let (len, r) = cm.longestMatch(p, rem) {
                cm.replacement(r).withUnsafeBufferPointer { emit($0) }
                return len
            }
            let l = validUTF8Length(p, rem)
            if l == 0 { replacementChar.withUnsafeBufferPointer { emit($0) }; return 1 }
            emit(UnsafeBufferPointer(start: p, count: l))
            return l
        }
        if removeExtraWhitespaces {
            while i < n {
                var isSpace = false
                let c = prefix(i) { isSpace = $0.count == 1 && $0[0] == 0x20 }
                if !isSpace { break }
                i += c
            }
            if i >= n { return }
        }
        let start = out.count
        if addDummyPrefix && !treatWhitespaceAsSuffix { out.append(contentsOf: space) }
        var isPrevSpace = removeExtraWhitespaces
        while i < n {
            let c = prefix(i) { sp in
                var s = 0
                if isPrevSpace { while s < sp.count && sp[s] == 0x20 { s += 1 } }
                if s < sp.count {
                    for k in s..<sp.count {
                        if escapeWhitespaces && sp[k] == 0x20 { out.append(contentsOf: spaceSymbol) } else { out.append(sp[k]) }
                    }
                    isPrevSpace = sp[sp.count - 1] == 0x20
                }
            }
            i += c
            if !removeExtraWhitespaces { isPrevSpace = false }
        }
        if removeExtraWhitespaces {
            while out.count - start >= space.count && Array(out[(out.count - space.count)...]) == space {
                out.removeLast(space.count)
            }
        }
        if addDummyPrefix && treatWhitespaceAsSuffix { out.append(contentsOf: space) }
    }
}
