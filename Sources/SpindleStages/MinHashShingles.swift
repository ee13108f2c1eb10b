// Word n-gram shingles of normalised text, as 64-bit hashes.

/// Hashes of the word n-grams ("shingles") of normalised text.
///
/// Words are the space-separated tokens of `TextNormalizer` output. Each word gets a 64-bit hash
/// (FNV-1a over its bytes, then `mix64`), and each run of `n` consecutive word hashes is combined by a
/// rolling polynomial (odd multiplier, mod 2^64) and mixed again. A text of 1..<n words gives one shingle
/// made of all its words (datasketch's recipe); an empty text gives none.
public struct Shingler: Sendable {
    public let n: Int
    static let poly: UInt64 = 0x9E37_79B9_7F4A_7C15 | 1
    let polyPowN: UInt64  // poly^(n-1), to remove the outgoing word

    public init(n: Int = 5) {
        precondition(n >= 1, "shingle size must be at least 1")
        self.n = n
        var p: UInt64 = 1
        for _ in 0..<(n - 1) { p = p &* Shingler.poly }
        polyPowN = p
    }

    /// Hash of one word's bytes: 8-byte little-endian chunks folded by multiply-rotate, the tail and the
    /// length in a last chunk, then `mix64` (one multiply per 8 bytes instead of one per byte).
    @inline(__always) public static func wordHash(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        var i = start
        let base = UnsafeRawPointer(p.baseAddress!)
        while i + 8 <= end {
            let c = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            h = (h ^ c) &* 0x9E37_79B1_85EB_CA87
            h = (h << 31) | (h >> 33)
            i += 8
        }
        var tail: UInt64 = 0, shift: UInt64 = 0
        while i < end { tail |= UInt64(p[i]) << shift; shift += 8; i += 1 }
        h = (h ^ tail ^ (UInt64(end - start) << 56)) &* 0xC2B2_AE3D_27D4_EB4F
        return mix64(h)
    }

    /// Word hashes of normalised text (space separated).
    @_optimize(speed)
    public func words(_ norm: UnsafeBufferPointer<UInt8>, into out: inout [UInt64]) {
        out.removeAll(keepingCapacity: true)
        var start = 0
        let c = norm.count
        var i = 0
        while i < c {
            if norm[i] == 0x20 {
                if i > start { out.append(Shingler.wordHash(norm, start, i)) }
                start = i + 1
            }
            i += 1
        }
        if c > start { out.append(Shingler.wordHash(norm, start, c)) }
    }

    /// Shingle hashes from word hashes (not de-duplicated: MinHash does not need it).
    @_optimize(speed)
    public func shingles(words w: [UInt64], into out: inout [UInt64]) {
        out.removeAll(keepingCapacity: true)
        let m = w.count
        if m == 0 { return }
        if m < n {
            var h: UInt64 = 0
            for x in w { h = h &* Shingler.poly &+ x }
            out.append(mix64(h ^ UInt64(m)))
            return
        }
        out.reserveCapacity(m - n + 1)
        var h: UInt64 = 0
        for k in 0..<n { h = h &* Shingler.poly &+ w[k] }
        out.append(mix64(h ^ UInt64(n)))
        var i = n
        while i < m {
            h = (h &- w[i - n] &* polyPowN) &* Shingler.poly &+ w[i]
            out.append(mix64(h ^ UInt64(n)))
            i += 1
        }
    }

    /// Naive oracle: each shingle hashed from scratch.
    public func shinglesNaive(words w: [UInt64]) -> [UInt64] {
        if w.isEmpty { return [] }
        let k = min(n, w.count)
        return (0...(w.count - k)).map { i in
            var h: UInt64 = 0
            for j in 0..<k { h = h &* Shingler.poly &+ w[i + j] }
            return mix64(h ^ UInt64(k))
        }
    }

    /// Sorted, de-duplicated shingle set of a text (for exact Jaccard).
    public func shingleSet(_ text: String) -> [UInt64] {
        var norm: [UInt8] = [], words: [UInt64] = [], sh: [UInt64] = []
        var t = text
        t.withUTF8 { TextNormalizer.normalize($0, into: &norm) }
        norm.withUnsafeBufferPointer { self.words($0, into: &words) }
        shingles(words: words, into: &sh)
        return Shingler.sortedUnique(sh)
    }

    public static func sortedUnique(_ a: [UInt64]) -> [UInt64] {
        var s = a
        s.sort()
        var out: [UInt64] = []
        out.reserveCapacity(s.count)
        for x in s where out.last != x { out.append(x) }
        return out
    }

    /// Exact Jaccard of two sorted unique sets. Two empty sets count as identical.
    public static func jaccard(_ a: [UInt64], _ b: [UInt64]) -> Double {
        if a.isEmpty && b.isEmpty { return 1 }
        var i = 0, j = 0, inter = 0
        while i < a.count && j < b.count {
            if a[i] == b[j] { inter += 1; i += 1; j += 1 } else if a[i] < b[j] { i += 1 } else { j += 1 }
        }
        return Double(inter) / Double(a.count + b.count - inter)
    }
}
