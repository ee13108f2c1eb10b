import Testing
import SpindleIO
@testable import SpindleStages

@Suite struct DedupHashTests {
    // Reference values from Python `xxhash.xxh64_intdigest` 3.x.
    @Test(arguments: [
        ("", UInt64(0), UInt64(0xEF46_DB37_51D8_E999)),
        ("a", 0, 0xD24E_C4F1_A98C_6E5B),
        ("abc", 0, 0x44BC_2CF5_AD77_0999),
        ("The quick brown fox jumps over the lazy dog", 0, 0x0B24_2D36_1FDA_71BC),
        ("", 0x9E37_79B9_7F4A_7C15, 0xC434_9FC9_3C01_0000),
        ("abc", 0x9E37_79B9_7F4A_7C15, 0x2ED0_F59D_6B43_AC8B),
    ])
    func xxh64MatchesReference(text: String, seed: UInt64, expected: UInt64) {
        #expect(XXH64.hash(Array(text.utf8), seed: seed) == expected)
    }

    @Test func xxh64LongInput() {
        var bytes: [UInt8] = []
        for _ in 0..<3 { bytes += (0..<256).map { UInt8($0) } }
        #expect(XXH64.hash(bytes) == 0x8E03_C838_C596_036F)
        #expect(XXH64.hash(bytes, seed: SpindleHash128.secondSeed) == 0x919E_1C78_9D52_2E91)
    }

    @Test func hash128Halves() {
        let h = SpindleHash128.hash(Array("abc".utf8))
        #expect(h.high == 0x44BC_2CF5_AD77_0999 && h.low == 0x2ED0_F59D_6B43_AC8B)
        #expect(h.description == "44bc2cf5ad7709992ed0f59d6b43ac8b")
    }
}

@Suite struct NormalizerTests {
    @Test(arguments: [
        ("Hello,   World!", "hello world"),
        ("  leading\tand\ntrailing  ", "leading and trailing"),
        ("don't STOP", "dont stop"),
        ("U.S.A.\u{00A0}today", "usa today"),          // no-break space is whitespace
        ("ｆｕｌｌｗｉｄｔｈ ＡＢＣ", "fullwidth abc"),
        ("Pаypаl", "paypal"),                            // Cyrillic а look-alikes
        ("ÉCOLE Straße", "école straße"),
        ("e\u{0301}te", "ete"),                          // combining acute is dropped
        ("soft\u{00AD}hyphen zero\u{200B}width", "softhyphen zero width"),
        ("中文字", "中 文 字"),
        ("ab中cd", "ab 中 cd"),
        ("— « quoted » —", "quoted"),
        ("emoji 🙂 kept", "emoji 🙂 kept"),
        ("", ""),
        ("...", ""),
    ])
    func examples(input: String, expected: String) {
        #expect(TextNormalizer.normalize(input) == expected)
        #expect(TextNormalizer.normalizeNaive(input) == expected)
    }

    @Test func digitsToZero() {
        #expect(TextNormalizer.normalize("Page 12 of 349", digitsToZero: true) == "page 00 of 000")
    }

    @Test func fastMatchesNaiveOnRandomText() {
        var rng = SeededRandom(seed: 7)
        let alphabet: [String] = ["a", "B", " ", "\n", ",", "é", "Ж", "а", "中", "  ", "\u{3000}", "1", "Ｑ",
                                  "\u{0301}", "'", "🙂", "\t", "ß", "Σ", "-", "\u{200B}", "x"]
        for _ in 0..<500 {
            let len = Int(rng.next() % 40)
            let s = (0..<len).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }.joined()
            #expect(TextNormalizer.normalize(s) == TextNormalizer.normalizeNaive(s), "input: \(s.debugDescription)")
        }
    }

    @Test func fusedWordHashesMatchNormaliseThenSplit() {
        var rng = SeededRandom(seed: 8)
        let alphabet: [String] = ["a", "B", " ", "\n", ",", "é", "Ж", "а", "中", "  ", "\u{3000}", "1", "Ｑ",
                                  "\u{0301}", "'", "🙂", "\t", "ß", "Σ", "-", "\u{200B}", "xyzxyzxyzxyz"]
        for _ in 0..<400 {
            let len = Int(rng.next() % 40)
            var s = (0..<len).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }.joined()
            var norm: [UInt8] = [], viaNorm: [UInt64] = [], fused: [UInt64] = [], scratch: [UInt8] = []
            s.withUTF8 { TextNormalizer.normalize($0, into: &norm) }
            norm.withUnsafeBufferPointer { Shingler(n: 5).words($0, into: &viaNorm) }
            s.withUTF8 { TextNormalizer.wordHashes($0, into: &fused, scratch: &scratch) }
            #expect(fused == viaNorm, "input: \(s.debugDescription)")
        }
    }

    @Test func jsonStringBodiesNormaliseLikeTheirUnescapedText() throws {
        var rng = SeededRandom(seed: 21)
        let pieces: [String] = ["a", "B", " ", "\n", "\t", "\r", "\"", "\\", "/", "é", "中", "🙂", "\u{0001}", "Ж", "Ｑ", "x1", "\u{2028}", "\u{00A0}"]
        var cases: [[UInt8]] = [Array(#"lone \ud800 high, \udc00 low, pair \ud83d\ude00 \u0041BC \u00e9\u0301"#.utf8)]
        for _ in 0..<300 {
            let k = Int(rng.next() % 20)
            let s = (0..<k).map { _ in pieces[Int(rng.next() % UInt64(pieces.count))] }.joined()
            var enc: [UInt8] = []
            JSONString.append(s, to: &enc)
            cases.append(Array(enc[1..<(enc.count - 1)]))
        }
        for body in cases {
            var unescaped: [UInt8] = [], viaText: [UInt8] = [], direct: [UInt8] = []
            body.withUnsafeBufferPointer { JSONString.unescape($0, into: &unescaped) }
            unescaped.withUnsafeBufferPointer { TextNormalizer.normalize($0, into: &viaText) }
            let len = body.withUnsafeBufferPointer { TextNormalizer.normalizeJSONString($0, into: &direct) }
            #expect(direct == viaText && len == unescaped.count, "\(String(decoding: body, as: UTF8.self))")
        }
    }

    @Test func invalidUTF8IsAWordBreak() {
        var out: [UInt8] = []
        let bytes: [UInt8] = [0x61, 0xFF, 0x62, 0xC3, 0x41]  // a, invalid, b, truncated 2-byte, A
        bytes.withUnsafeBufferPointer { TextNormalizer.normalize($0, into: &out) }
        #expect(String(decoding: out, as: UTF8.self) == "a b a")
    }
}

@Suite struct ShingleAndMinHashTests {
    func words(_ s: String) -> [UInt64] {
        var norm: [UInt8] = [], w: [UInt64] = []
        var t = s
        t.withUTF8 { TextNormalizer.normalize($0, into: &norm) }
        norm.withUnsafeBufferPointer { Shingler(n: 5).words($0, into: &w) }
        return w
    }

    @Test(arguments: [1, 2, 3, 5, 8])
    func rollingMatchesNaive(n: Int) {
        let sh = Shingler(n: n)
        for len in [0, 1, n - 1, n, n + 1, 40] where len >= 0 {
            let w = (0..<len).map { mix64(UInt64($0 % 7) &+ 11) }
            var out: [UInt64] = []
            sh.shingles(words: w, into: &out)
            #expect(out == sh.shinglesNaive(words: w), "n=\(n) len=\(len)")
        }
    }

    @Test func swarWordSplitMatchesNaive() {
        var rng = SeededRandom(seed: 12)
        let pieces = ["a", "bb", "ccc", "dddddddd", "eeeeeeeeeee", "中", "é", "0", "xyzxyzxyzxyzxyzxyz"]
        for _ in 0..<300 {
            let k = Int(rng.next() % 12)
            let s = (0..<k).map { _ in pieces[Int(rng.next() % UInt64(pieces.count))] }.joined(separator: " ")
            let norm = Array(s.utf8)
            var w: [UInt64] = []
            norm.withUnsafeBufferPointer { Shingler(n: 5).words($0, into: &w) }
            #expect(w == Shingler(n: 5).wordsNaive(norm), "\(s)")
        }
    }

    @Test func shortTextsGiveOneShingle() {
        var out: [UInt64] = []
        Shingler(n: 5).shingles(words: words("only three words"), into: &out)
        #expect(out.count == 1)
        Shingler(n: 5).shingles(words: words(""), into: &out)
        #expect(out.isEmpty)
    }

    @Test func shinglesIgnoreCaseAndPunctuation() {
        let a = Shingler(n: 5).shingleSet("The cat sat on the mat, and then it slept.")
        let b = Shingler(n: 5).shingleSet("the CAT sat on the mat and then   it slept")
        #expect(a == b && a.count == 6)
    }

    /// The bucket sort of shingle sets against its naive twin: random hashes with repeats, values that
    /// share their top bits, all-equal runs, and sizes around the bucket-count steps.
    @Test(arguments: [0, 1, 2, 3, 17, 256, 1000, 4097, 70_000])
    func sortUniqueMatchesNaive(count: Int) {
        var rng = SeededRandom(seed: UInt64(count) &+ 5)
        var random = (0..<count).map { _ in rng.next() }
        if count > 4 { for i in stride(from: 0, to: count, by: 3) { random[i] = random[i / 2] } }   // repeats
        let clustered = (0..<count).map { i in UInt64(0xABCD) << 48 | UInt64(i % 97) }            // one top-bits bucket
        let equal = [UInt64](repeating: 42, count: count)
        for input in [random, clustered, equal] {
            #expect(Shingler.sortedUnique(input) == Shingler.sortedUniqueNaive(input))
        }
    }

    @Test(arguments: [8, 64, 128, 256])
    func simdMatchesNaive(numPerm: Int) {
        let mh = MinHasher(numPerm: numPerm, seed: 3)
        var rng = SeededRandom(seed: 9)
        for len in [0, 1, 7, 100] {
            let sh = (0..<len).map { _ in rng.next() }
            let naive = mh.signatureNaive(sh)
            #expect(mh.signature(sh) == naive)
            var flat = [UInt32](repeating: 0, count: numPerm), blocked = flat
            sh.withUnsafeBufferPointer { s in
                flat.withUnsafeMutableBufferPointer { mh.signatureFlat(s, into: $0) }
                blocked.withUnsafeMutableBufferPointer { mh.signatureBlocked(s, into: $0) }
            }
            #expect(flat == naive && blocked == naive)
        }
    }

    @Test func estimateTracksJaccard() {
        var rng = SeededRandom(seed: 5)
        let common = (0..<800).map { _ in rng.next() }
        let onlyA = (0..<100).map { _ in rng.next() }
        let onlyB = (0..<100).map { _ in rng.next() }
        let trueJ = 800.0 / 1000.0
        let mh = MinHasher(numPerm: 128)
        var total = 0.0
        for seed in 1...20 as ClosedRange<UInt64> {
            let m = MinHasher(numPerm: 128, seed: seed)
            total += MinHasher.estimate(m.signature(common + onlyA), m.signature(common + onlyB))
        }
        #expect(abs(total / 20 - trueJ) < 0.03)
        #expect(MinHasher.estimate(mh.signature(common), mh.signature(common.reversed())) == 1)
    }

    @Test func exactJaccard() {
        #expect(Shingler.jaccard([1, 2, 3, 4], [3, 4, 5, 6]) == 2.0 / 6.0)
        #expect(Shingler.jaccard([], []) == 1)
        #expect(Shingler.jaccard([1], []) == 0)
    }
}

@Suite struct LSHTests {
    @Test func probabilityFormula() {
        let p = LSHParameters(bands: 9, rows: 13)
        #expect(abs(p.candidateProbability(0.8) - 0.40) < 0.01)   // STAGES.md's figures
        #expect(abs(p.candidateProbability(0.9) - 0.93) < 0.01)
        #expect(abs(LSHParameters(bands: 14, rows: 8).candidateProbability(0.7) - 0.56) < 0.01)
    }

    @Test(arguments: [0.5, 0.7, 0.8, 0.9])
    func optimalFitsAndFavoursRecall(threshold: Double) {
        let p = LSHParameters.optimal(threshold: threshold, numPerm: 128)
        #expect(p.bands * p.rows <= 128)
        // Recall just above the threshold is high: verification handles the extra candidates.
        #expect(p.candidateProbability(min(1, threshold + 0.05)) > 0.95)
        #expect(p.describe(threshold: threshold).contains("\(p.bands) bands x \(p.rows) rows"))
    }

    @Test func bandKeysAgreeOnlyOnEqualBands() {
        let p = LSHParameters(bands: 4, rows: 2)
        var a: [UInt32] = [1, 2, 3, 4, 5, 6, 7, 8]
        var b = a; b[7] = 99
        var ka: [UInt64] = [], kb: [UInt64] = []
        a.withUnsafeBufferPointer { p.bandKeys($0, into: &ka) }
        b.withUnsafeBufferPointer { p.bandKeys($0, into: &kb) }
        #expect(ka[0..<3] == kb[0..<3] && ka[3] != kb[3])
        a = [1, 2, 1, 2, 1, 2, 1, 2]
        a.withUnsafeBufferPointer { p.bandKeys($0, into: &ka) }
        #expect(Set(ka).count == 4)  // equal rows in different bands give different keys
    }

    @Test func unionFindRootIsSmallestWhateverTheOrder() {
        let edges = [(5, 3), (3, 9), (1, 7), (7, 2), (9, 8)]
        var rng = SeededRandom(seed: 1)
        for _ in 0..<10 {
            var uf = UnionFind(count: 10)
            var es = edges
            for i in stride(from: es.count - 1, to: 0, by: -1) { es.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
            for (a, b) in es { uf.union(a, b) }
            #expect(uf.find(9) == 3 && uf.find(8) == 3 && uf.find(2) == 1 && uf.find(0) == 0)
        }
    }
}

@Suite struct NearDupIndexTests {
    static let base = "Spindle is a Swift toolkit that takes raw text all the way to a small aligned chat model the way Meta built Llama two with streaming data stages that clean corpora and a tokenizer"

    func run(_ texts: [String], keep: KeepRule = .first, verify: VerifyMode = .estimate, scores: [Double]? = nil) -> [Removal] {
        var pipe = MinHashPipeline()
        let lsh = LSHParameters.optimal(threshold: 0.8, numPerm: 128)
        var idx = NearDupIndex(lsh: lsh, numPerm: 128, threshold: 0.8, verify: verify)
        for (i, t) in texts.enumerated() {
            let sig = pipe.signature(of: t)
            sig.withUnsafeBufferPointer { idx.add(signature: $0, shingles: pipe.shingles, length: t.utf8.count, score: scores?[i] ?? 0) }
        }
        return idx.clusters(keep: keep).removals
    }

    @Test(arguments: VerifyMode.allCases)
    func findsNearCopiesAndKeepsFirst(verify: VerifyMode) {
        let near = Self.base.uppercased() + " today"   // one word added at the end, case changed
        let other = "A completely different sentence about the weather in the mountains which has nothing in common with the others"
        let r = run([Self.base, other, near, Self.base], verify: verify)
        #expect(r.map(\.doc) == [2, 3])
        #expect(r.allSatisfy { $0.keptDoc == 0 })
    }

    @Test func keepLongestAndField() {
        let near = Self.base + " today"
        #expect(run([Self.base, near], keep: .longest).map(\.doc) == [0])
        #expect(run([Self.base, near, Self.base], keep: .field("q"), scores: [1, 0, 5]).map(\.doc) == [0, 1])
    }

    @Test(arguments: SelectMode.allCases)
    func aLargeBucketOfCopiesKeepsOne(select: SelectMode) {
        // 300 copies (case changes only): past the 64-comparison cap every copy still meets the first ones.
        var pipe = MinHashPipeline()
        var idx = NearDupIndex(lsh: LSHParameters.optimal(threshold: 0.8, numPerm: 128), numPerm: 128, threshold: 0.8, verify: .estimate)
        for i in 0..<300 {
            let t = i % 2 == 0 ? Self.base : Self.base.uppercased()
            let sig = pipe.signature(of: t)
            sig.withUnsafeBufferPointer { idx.add(signature: $0, shingles: nil, length: t.utf8.count, score: 0) }
        }
        let c = idx.clusters(keep: .first, select: select)
        #expect(c.removals.count == 299 && c.removals.allSatisfy { $0.keptDoc == 0 && $0.similarity == 1 })
        #expect(c.comparisons == 64 * 63 / 2 + 64 * (300 - 64))   // each pair once, however many bands it shares
    }

    @Test func belowThresholdIsKept() {
        // Replace every fourth word: 5-gram Jaccard far below 0.8.
        let w = Self.base.split(separator: " ")
        let edited = w.enumerated().map { $0.offset % 4 == 0 ? "zzz\($0.offset)" : String($0.element) }.joined(separator: " ")
        #expect(run([Self.base, edited], verify: .exact).isEmpty)
        #expect(run([Self.base, edited], verify: .estimate).isEmpty)
    }
}

@Suite struct ExactDedupTests {
    @Test func normalisedDocumentsCollide() {
        var d = ExactDeduplicator()
        func dup(_ s: String) -> Bool { var t = s; return t.withUTF8 { d.isDuplicate($0) } }
        #expect(!dup("Hello world."))
        #expect(dup("hello   WORLD"))
        #expect(!dup("hello world again"))
        var raw = ExactDeduplicator(normalize: false)
        func rawDup(_ s: String) -> Bool { var t = s; return t.withUTF8 { raw.isDuplicate($0) } }
        #expect(!rawDup("Hello world.") && !rawDup("hello world.") && rawDup("Hello world."))
    }

    func process(_ u: inout UnitDeduplicator, _ s: String) -> String {
        let bytes = Array(s.utf8)
        let o = bytes.withUnsafeBufferPointer { u.process($0) }
        return o.kept.map { String(decoding: bytes[$0], as: UTF8.self) }.joined(separator: u.unit == .line ? "\n" : "\n\n")
    }

    @Test func linesSeenInEarlierDocumentsAreRemoved() {
        var u = UnitDeduplicator(unit: .line)
        #expect(process(&u, "Accept cookies\nFirst story\nla la\nla la") == "Accept cookies\nFirst story\nla la\nla la")
        #expect(process(&u, "ACCEPT COOKIES!\nSecond story\nPage 2 of 9") == "Second story\nPage 2 of 9")
        #expect(process(&u, "Page 3 of 9\nThird") == "Third")   // digits normalise to 0
    }

    @Test func paragraphsSplitAtBlankLines() {
        var u = UnitDeduplicator(unit: .paragraph)
        #expect(process(&u, "Intro para\nline two\n\n  \nShared footer") == "Intro para\nline two\n\nShared footer")
        #expect(process(&u, "New para\n\nshared FOOTER") == "New para")
    }
}
