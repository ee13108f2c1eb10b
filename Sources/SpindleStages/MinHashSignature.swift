// MinHash signatures: k universal-hash "permutations" of one shingle hash.
//
// The 64-bit shingle hash (already avalanche-mixed) is folded to 32 bits, x = lo ^ hi, and permutation i
// maps it to a_i * x + b_i mod 2^32 with a_i odd: a bijection of the 32-bit keys (multiply-add, the
// Dietzfelbinger family), ordered as signed 32-bit integers. 32-bit lanes keep the kernel cheap on every
// x86-64: SSE2 has no 64-bit vector multiply or compare, while 32-bit multiply and min are one AVX2
// instruction for 8 lanes (and short sequences on SSE2). The minimum is recorded as the value's bit pattern.
import SpindleIO

/// MinHash parameters and the signature kernel.
public struct MinHasher: Sendable {
    public let numPerm: Int
    public let seed: UInt64
    let a: [SIMD8<Int32>]
    let b: [SIMD8<Int32>]

    public init(numPerm: Int = 128, seed: UInt64 = 1) {
        precondition(numPerm > 0 && numPerm % 8 == 0, "permutations must be a positive multiple of 8")
        self.numPerm = numPerm
        self.seed = seed
        var rng = SeededRandom(seed: seed)
        var av: [SIMD8<Int32>] = [], bv: [SIMD8<Int32>] = []
        for _ in 0..<(numPerm / 8) {
            var x = SIMD8<Int32>(), y = SIMD8<Int32>()
            for l in 0..<8 {
                x[l] = Int32(truncatingIfNeeded: rng.next() | 1)
                y[l] = Int32(truncatingIfNeeded: rng.next())
            }
            av.append(x); bv.append(y)
        }
        a = av; b = bv
    }

    /// Signature of a shingle-hash list into `out` (numPerm values). No shingles gives all UInt32.max.
    /// Release builds use the register-blocked kernel, debug builds the flat one (generic SIMD code is
    /// slow without optimisation); tests check both against `signatureNaive`.
    @inline(__always)
    public func signature(_ shingles: UnsafeBufferPointer<UInt64>, into out: UnsafeMutableBufferPointer<UInt32>) {
        #if DEBUG
        signatureFlat(shingles, into: out)
        #else
        signatureBlocked(shingles, into: out)
        #endif
    }

    /// The 32-bit key of a 64-bit shingle hash.
    @inline(__always) public static func fold(_ x: UInt64) -> Int32 { Int32(truncatingIfNeeded: x ^ (x >> 32)) }

    /// Register-blocked kernel: 8 permutations stay in vector registers (a, b and the running minimum as
    /// SIMD8<Int32>) while every shingle streams past, so the inner loop touches memory only to read the
    /// shingle.
    @_optimize(speed)
    public func signatureBlocked(_ shingles: UnsafeBufferPointer<UInt64>, into out: UnsafeMutableBufferPointer<UInt32>) {
        precondition(out.count >= numPerm)
        let groups = numPerm / 8
        for g in 0..<groups {
            let av = a[g], bv = b[g]
            var m = SIMD8<Int32>(repeating: Int32.max)
            for x in shingles {
                m = pointwiseMin(m, av &* SIMD8(repeating: MinHasher.fold(x)) &+ bv)
            }
            for l in 0..<8 { out[g * 8 + l] = UInt32(bitPattern: m[l]) }
        }
    }

    /// Flat kernel: one multiply-add-min per permutation and shingle over plain arrays.
    @_optimize(speed)
    public func signatureFlat(_ shingles: UnsafeBufferPointer<UInt64>, into out: UnsafeMutableBufferPointer<UInt32>) {
        precondition(out.count >= numPerm)
        let k = numPerm
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: k) { minsBuf in
            let mins = minsBuf.baseAddress!
            for i in 0..<k { mins[i] = Int32.max }
            a.withUnsafeBufferPointer { av in
                b.withUnsafeBufferPointer { bv in
                    let A = UnsafeRawPointer(av.baseAddress!).assumingMemoryBound(to: Int32.self)
                    let B = UnsafeRawPointer(bv.baseAddress!).assumingMemoryBound(to: Int32.self)
                    for x in shingles {
                        let y = MinHasher.fold(x)
                        var i = 0
                        while i < k {
                            let v = A[i] &* y &+ B[i]
                            mins[i] = v < mins[i] ? v : mins[i]
                            i += 1
                        }
                    }
                }
            }
            for i in 0..<k { out[i] = UInt32(bitPattern: mins[i]) }
        }
    }

    public func signature(_ shingles: [UInt64]) -> [UInt32] {
        var out = [UInt32](repeating: 0, count: numPerm)
        shingles.withUnsafeBufferPointer { s in out.withUnsafeMutableBufferPointer { signature(s, into: $0) } }
        return out
    }

    /// Naive oracle: one permutation at a time, scalar arithmetic.
    public func signatureNaive(_ shingles: [UInt64]) -> [UInt32] {
        (0..<numPerm).map { i in
            let ai = a[i / 8][i % 8], bi = b[i / 8][i % 8]
            var m = Int32.max
            for x in shingles { m = Swift.min(m, ai &* MinHasher.fold(x) &+ bi) }
            return UInt32(bitPattern: m)
        }
    }

    /// Jaccard estimate: the fraction of positions where two signatures agree.
    @inline(__always) public static func estimate(_ s: UnsafeBufferPointer<UInt32>, _ t: UnsafeBufferPointer<UInt32>) -> Double {
        var eq = 0
        for i in 0..<s.count where s[i] == t[i] { eq += 1 }
        return Double(eq) / Double(s.count)
    }

    public static func estimate(_ s: [UInt32], _ t: [UInt32]) -> Double {
        s.withUnsafeBufferPointer { x in t.withUnsafeBufferPointer { estimate(x, $0) } }
    }
}

/// Everything from text to signature, with reusable scratch buffers (one per thread).
public struct MinHashPipeline {
    public let shingler: Shingler
    public let hasher: MinHasher
    var norm: [UInt8] = []
    var words: [UInt64] = []
    public private(set) var shingles: [UInt64] = []

    public init(ngram: Int = 5, numPerm: Int = 128, seed: UInt64 = 1) {
        shingler = Shingler(n: ngram)
        hasher = MinHasher(numPerm: numPerm, seed: seed)
    }

    /// Signature of UTF-8 text into `out`; afterwards `shingles` holds the text's shingle hashes.
    public mutating func signature(of text: UnsafeBufferPointer<UInt8>, into out: UnsafeMutableBufferPointer<UInt32>) {
        TextNormalizer.wordHashes(text, into: &words, scratch: &norm)
        shingler.shingles(words: words, into: &shingles)
        shingles.withUnsafeBufferPointer { hasher.signature($0, into: out) }
    }

    public mutating func signature(of text: String) -> [UInt32] {
        var out = [UInt32](repeating: 0, count: hasher.numPerm)
        var t = text
        t.withUTF8 { u in out.withUnsafeMutableBufferPointer { signature(of: u, into: $0) } }
        return out
    }

    /// Sorted, de-duplicated shingle hashes of UTF-8 text (the shingles its signature is made of).
    public mutating func shingleSet(of text: UnsafeBufferPointer<UInt8>) -> [UInt64] {
        TextNormalizer.wordHashes(text, into: &words, scratch: &norm)
        shingler.shingles(words: words, into: &shingles)
        var s = shingles
        Shingler.sortUnique(&s)
        return s
    }
}
