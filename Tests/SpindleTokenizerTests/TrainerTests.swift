import Foundation
import Testing
import SpindleIO
@testable import SpindleTokenizer
import SpindleTestSupport

/// Training text: the committed encyclopedia articles (corpora/, about 86 KB, in every clone), or the
/// first bytes of tinyshakespeare from ../shared for the real-data variants.
enum TrainingText {
    static func corpora() throws -> String {
        try TestPaths.corpusFiles("encyclopedia", suffix: ".txt").map { try String(contentsOfFile: $0, encoding: .utf8) }.joined()
    }
    static func shakespeare() throws -> String {
        String(decoding: try Data(contentsOf: URL(fileURLWithPath: SharedData.shakespeare)).prefix(150_000), as: UTF8.self)
    }
}

/// A small corpus: the first `bytes` of `text` (corpora/ by default) plus a few fixed lines with
/// digits, repeated spaces and non-Latin scripts.
func smallCorpus(bytes: Int = 150_000, text: String? = nil) throws -> TrainingCorpus {
    var text = String(decoding: (try text ?? TrainingText.corpora()).utf8.prefix(bytes), as: UTF8.self)
    text += "\nPrices rose 1234 percent in 2023.\n    indented  code(x) = y\n日本語のテキストと中文文本 mixed with English\nΑλφα βήτα γάμμα\n"
    var c = TrainingCorpus()
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
        var l = String(line)
        l.withUTF8 { c.add($0, 4192) }
    }
    return c
}

func trainSmall(vocab: Int = 800, threads: Int = 2, corpus: TrainingCorpus? = nil, parallelThreshold: Int = 16_384) throws -> ModelProto {
    var o = BPETrainerOptions.llama2
    o.parallelRewriteThreshold = parallelThreshold
    o.vocabSize = vocab
    o.numThreads = threads
    o.characterCoverage = 1.0
    return try BPETrainer(options: o).train(corpus ?? smallCorpus())
}

/// An 800-piece model trained on corpora/ (Llama 2 settings), trained once for the tests that need a model.
func corpusModel() throws -> SentencePieceModel { try corpusModelCache.get { try SentencePieceModel(proto: try trainSmall()) } }
private let corpusModelCache = Once<SentencePieceModel>()

@Suite struct TrainerTests {
    /// Same corpus, same bytes: run to run, on 1 or 2 threads, with every merge rewritten in parallel.
    func checkDeterminism(_ corpus: TrainingCorpus) throws {
        let a = try trainSmall(threads: 2, corpus: corpus).serialized()
        let b = try trainSmall(threads: 2, corpus: corpus).serialized()
        var o1 = try trainSmall(threads: 1, corpus: corpus)
        o1.trainerSpec.numThreads = 2   // the recorded option differs, the pieces must not
        let parallel = try trainSmall(threads: 2, corpus: corpus, parallelThreshold: 1).serialized()   // every merge on 2 threads
        #expect(a == b)
        #expect(o1.serialized() == a)
        #expect(parallel == a)
    }

    @Test func deterministicAcrossRunsAndThreadCounts() throws {
        try checkDeterminism(try smallCorpus())
    }

    /// The same on 150 KB of real text (more words, longer merge lists).
    @Test(.requires(.shakespeare))
    func deterministicOnRealText() throws {
        try checkDeterminism(try smallCorpus(text: TrainingText.shakespeare()))
    }

    @Test func layoutAndPieceRules() throws {
        let m = try trainSmall()
        #expect(m.pieces.count == 800)
        #expect(m.pieces[0].piece == "<unk>" && m.pieces[0].type == .unknown)
        #expect(m.pieces[1].piece == "<s>" && m.pieces[1].type == .control)
        #expect(m.pieces[2].piece == "</s>" && m.pieces[2].type == .control)
        #expect(m.pieces[3].piece == "<0x00>" && m.pieces[258].piece == "<0xFF>" && m.pieces[258].type == .byte)
        #expect(m.pieces[259].score == 0 && m.pieces[260].score == -1)
        #expect(m.trainerSpec.modelType == .bpe && m.trainerSpec.byteFallback && m.trainerSpec.splitDigits)
        #expect(Set(m.pieces.map(\.piece)).count == m.pieces.count)
        for p in m.pieces[259...] {
            let s = Array(p.piece.unicodeScalars)
            #expect(s.count <= 16)
            if s.count > 1 {
                #expect(!s.contains { $0.properties.numericType == .decimal && $0.value < 0x80 }, "digit in \(p.piece)")
                let ws = s.map { $0 == "\u{2581}" }
                #expect(ws.allSatisfy { $0 } || !ws.dropFirst().contains(true), "'▁' inside \(p.piece)")
                #expect(!s.contains("\t"))
            }
        }
        // Scores descend strictly after the byte pieces.
        for i in 260..<m.pieces.count { #expect(m.pieces[i].score == m.pieces[i - 1].score - 1) }
    }

    /// The incremental trainer must learn exactly the merges of the textbook algorithm that recounts
    /// every pair after every merge.
    @Test func incrementalUpdatesMatchFullRecount() throws {
        let corpus = try smallCorpus(bytes: 30_000)
        let slow = naiveBPE(corpus, merges: 120)
        for threshold in [16_384, 1] {
            let m = try trainSmall(vocab: 259 + 70 + 150, corpus: corpus, parallelThreshold: threshold)
            let alphabetStart = m.pieces.lastIndex { $0.piece.unicodeScalars.count > 1 || $0.type != .normal }! + 1
            let fast = m.pieces[259..<alphabetStart].map(\.piece)
            #expect(fast.count >= 100)
            #expect(Array(fast.prefix(100)) == Array(slow.prefix(100)))
        }
    }

    /// A Spindle-trained model gives the same ids in Spindle and in Python sentencepiece, on lines it
    /// was not trained on (the wiki sample's XML: markup, entities, numbers) and a few edge cases.
    func checkSentencePieceIDs(_ corpus: TrainingCorpus, heldOut: String) throws {
        let proto = try trainSmall(vocab: 1000, corpus: corpus)
        let tmp = TempDir("trained"); defer { tmp.cleanup() }
        let path = tmp.sub("trained.model")
        try Data(proto.serialized()).write(to: URL(fileURLWithPath: path))
        let model = try SentencePieceModel(contentsOf: path)
        let lines = heldOut.split(separator: "\n").map(String.init) + ["  two  spaces", "1234 €5 🙂 日本語", "\ttab", "<s> literal"]
        let script = """
        import sys, json, sentencepiece as spm
        sp = spm.SentencePieceProcessor(model_file=sys.argv[1])
        for line in sys.stdin.read().split("\\n"):
            print(json.dumps(sp.encode(json.loads(line))))
        """
        let input = lines.map { String(decoding: try! JSONSerialization.data(withJSONObject: $0, options: .fragmentsAllowed), as: UTF8.self) }.joined(separator: "\n")
        let out = try runPython(script, stdin: Data(input.utf8), args: [path])
        let rows = String(decoding: out, as: UTF8.self).split(separator: "\n")
        #expect(rows.count == lines.count)
        for (line, row) in zip(lines, rows) {
            let want = (try JSONSerialization.jsonObject(with: Data(row.utf8)) as! [NSNumber]).map { $0.int32Value }
            #expect(model.encode(line) == want, "\(line.debugDescription)")
        }
    }

    @Test(.requires(.python("sentencepiece")))
    func trainedModelLoadsInSentencePieceWithSameIDs() throws {
        let heldOut = String(decoding: try Data(contentsOf: URL(fileURLWithPath: TestPaths.corpora("wiki/sample.xml"))).prefix(20_000), as: UTF8.self)
        try checkSentencePieceIDs(try smallCorpus(), heldOut: heldOut)
    }

    /// The same trained on real text, checked on its last 20 KB.
    @Test(.requires(.shakespeare, .python("sentencepiece")))
    func trainedOnRealTextLoadsInSentencePieceWithSameIDs() throws {
        let all = try Data(contentsOf: URL(fileURLWithPath: SharedData.shakespeare))
        try checkSentencePieceIDs(try smallCorpus(text: TrainingText.shakespeare()), heldOut: String(decoding: all.suffix(20_000), as: UTF8.self))
    }

    @Test func tooSmallVocabularyIsAClearError() throws {
        var c = TrainingCorpus()
        var l = "hello world"
        l.withUTF8 { c.add($0, 4192) }
        var o = BPETrainerOptions.llama2
        o.vocabSize = 100
        #expect(throws: TrainingError.self) { try BPETrainer(options: o).train(c) }
        o.vocabSize = 300
        #expect(throws: TrainingError.self) { try BPETrainer(options: o).train(c) }   // hard vocab limit
        o.hardVocabLimit = false
        let m = try BPETrainer(options: o).train(c)
        #expect(m.pieces.count < 300 && m.pieces.count > 259)
    }

    @Test func userDefinedAndControlSymbolsComeFirstAndAreNotSplit() throws {
        var c = TrainingCorpus()
        for _ in 0..<20 { var l = "say <sep> hello hello world"; l.withUTF8 { c.add($0, 4192) } }
        var o = BPETrainerOptions.llama2
        o.vocabSize = 290
        o.hardVocabLimit = false
        o.userDefinedSymbols = ["<sep>"]
        o.controlSymbols = ["<ctl>"]
        let proto = try BPETrainer(options: o).train(c)
        #expect(proto.pieces[3].piece == "<ctl>" && proto.pieces[3].type == .control)
        #expect(proto.pieces[4].piece == "<sep>" && proto.pieces[4].type == .userDefined)
        #expect(proto.pieces[5].piece == "<0x00>")
        let m = try SentencePieceModel(proto: proto)
        #expect(m.encodeAsPieces("a<sep>b").contains("<sep>"))
    }
}

/// Textbook BPE: count every valid pair of every word after every merge; ties -> shorter, then smaller string.
func naiveBPE(_ corpus: TrainingCorpus, merges: Int) -> [String] {
    var counts: [[String]: Int] = [:]
    for i in 0..<corpus.count {
        let line = String(decoding: corpus.bytes[corpus.range(i)], as: UTF8.self)
        let norm = "\u{2581}" + line.replacingOccurrences(of: " ", with: "\u{2581}")
        var word: [String] = []
        var prevWS = false
        for ch in norm.unicodeScalars {
            let ws = ch == "\u{2581}"
            if ws && !prevWS && !word.isEmpty { counts[word, default: 0] += 1; word = [] }
            if ch == "\t" { if !word.isEmpty { counts[word, default: 0] += 1 }; word = []; prevWS = false; continue }
            word.append(String(ch)); prevWS = ws
        }
        if !word.isEmpty { counts[word, default: 0] += 1 }
    }
    func valid(_ a: String, _ b: String) -> Bool {
        let s = Array((a + b).unicodeScalars)
        if s.count > 16 { return false }
        if s.contains(where: { ($0.value >= 0x30 && $0.value <= 0x39) }) { return false }
        let ws = s.map { $0 == "\u{2581}" }
        if !(ws.allSatisfy { $0 }) && ws.dropFirst().contains(true) { return false }
        // Script rule, coarse: letters of different alphabets (Latin/Greek/CJK) or letters with punctuation.
        func cls(_ c: Unicode.Scalar) -> Int? {
            if c == "\u{2581}" { return nil }
            if c.properties.generalCategory == .nonspacingMark { return nil }
            if c.value < 0x250 && c.properties.isAlphabetic { return 1 }
            if c.value >= 0x370 && c.value < 0x400 { return 2 }
            if c.value >= 0x3040 && c.value < 0xA000 { return 3 }
            return c.properties.isAlphabetic ? 4 : 0
        }
        let classes = s.compactMap(cls)
        return Set(classes).count <= 1
    }
    var words = counts.map { ($0.key, $0.value) }
    var out: [String] = []
    var made = Set<String>()
    while out.count < merges {
        var pc: [[String]: Int] = [:]
        for (w, c) in words where w.count > 1 {
            for i in 0..<(w.count - 1) where valid(w[i], w[i + 1]) { pc[[w[i], w[i + 1]], default: 0] += c }
        }
        guard let best = pc.max(by: { x, y in
            if x.value != y.value { return x.value < y.value }
            let lx = (x.key[0] + x.key[1]).unicodeScalars.count, ly = (y.key[0] + y.key[1]).unicodeScalars.count
            if lx != ly { return lx > ly }
            return Array((x.key[0] + x.key[1]).utf8).lexicographicallyPrecedes(Array((y.key[0] + y.key[1]).utf8)) == false
        }) else { break }
        let (a, b) = (best.key[0], best.key[1])
        let c = a + b
        if made.insert(c).inserted { out.append(c) }
        words = words.map { (w, n) in
            var r: [String] = []
            var i = 0
            while i < w.count {
                if i + 1 < w.count && w[i] == a && w[i + 1] == b { r.append(c); i += 2 } else { r.append(w[i]); i += 1 }
            }
            return (r, n)
        }
    }
    return out
}

@Suite struct VocabularyMergeTests {
    /// Merges Chinese pieces trained on a few lines into `base`: the base keeps its pieces and ids,
    /// English encodes as before, Chinese gets shorter and round-trips. Returns the merged model.
    func checkMerge(base: ModelProto) throws -> ModelProto {
        var c = TrainingCorpus()
        for _ in 0..<50 { var l = "数据集 tokenizer 中文分词 测试 数据 中文"; l.withUTF8 { c.add($0, 4192) } }
        var o = BPETrainerOptions.llama2
        o.vocabSize = 300
        o.hardVocabLimit = false
        let add = try BPETrainer(options: o).train(c)
        let r = mergeVocabularies(base: base, add: add)
        #expect(r.added > 0)
        #expect(Array(r.model.pieces.prefix(base.pieces.count)) == base.pieces)
        #expect(r.model.trainerSpec.vocabSize == r.model.pieces.count)
        let merged = try SentencePieceModel(proto: r.model)
        let original = try SentencePieceModel(proto: base)
        // English keeps its ids; the new Chinese pieces shorten Chinese text.
        #expect(merged.encode("The quick brown fox jumps over the lazy dog.") == original.encode("The quick brown fox jumps over the lazy dog."))
        #expect(merged.encode("中文分词测试").count < original.encode("中文分词测试").count)
        #expect(try merged.decode(merged.encode("中文分词 测试 data")) == "中文分词 测试 data")
        return r.model
    }

    @Test func mergedModelKeepsBaseIDs() throws {
        _ = try checkMerge(base: try corpusModel().proto)
    }

    @Test(.requires(.llama2Tokenizer))
    func mergedIntoLlama2KeepsBaseIDs() throws {
        let merged = try checkMerge(base: try ModelProto(contentsOf: SharedData.llama2Model))
        #expect(merged.pieces.count > 32000)
    }

    /// The merged model loads in Python sentencepiece and gives Spindle's ids.
    @Test(.requires(.python("sentencepiece")))
    func mergedModelLoadsInSentencePiece() throws {
        let merged = try checkMerge(base: try corpusModel().proto)
        let tmp = TempDir("merged"); defer { tmp.cleanup() }
        let path = tmp.sub("merged.model")
        try Data(merged.serialized()).write(to: URL(fileURLWithPath: path))
        let out = try runPython("import sys, sentencepiece as spm; print(spm.SentencePieceProcessor(model_file=sys.argv[1]).encode('中文分词 测试 data The fox'))", args: [path])
        let want = String(decoding: out, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let ours = try SentencePieceModel(proto: merged).encode("中文分词 测试 data The fox")
        #expect(want == "[" + ours.map(String.init).joined(separator: ", ") + "]")
    }
}

@Suite struct WordSplitTests {
    /// The fused identity word counter sees the same words as normalise-then-split (its oracle).
    @Test(arguments: [true, false])
    func fusedSplitMatchesNormalizeThenSplit(allowWS: Bool) {
        var rng = SeededRandom(seed: 3)
        let alphabet = Array("  ab c\u{2581}\t1é中🙂".unicodeScalars)
        let norm = Normalizer(charsMap: nil, userDefined: PrefixMatcher([]), addDummyPrefix: true,
                              removeExtraWhitespaces: false, escapeWhitespaces: true, treatWhitespaceAsSuffix: false)
        for _ in 0..<500 {
            var s = String.UnicodeScalarView()
            for _ in 0..<Int.random(in: 1...20, using: &rng) { s.append(alphabet[Int.random(in: 0..<alphabet.count, using: &rng)]) }
            var bytes = Array(String(s).utf8)
            if Int.random(in: 0..<4, using: &rng) == 0 { bytes.insert(0xFF, at: Int.random(in: 0...bytes.count, using: &rng)) }
            var shards = [WordCounter(), WordCounter()]   // the batch spreads words over shards by hash
            var batch = WordBatch(capacity: 16)            // tiny: exercises flushing and growing
            bytes.withUnsafeBufferPointer { countWordsIdentity($0.baseAddress!, $0.count, allowWS: allowWS, batch: &batch, into: &shards) }
            batch.flush(&shards)
            var b = WordCounter()
            var nb: [UInt8] = []
            bytes.withUnsafeBufferPointer { norm.normalize($0, into: &nb) }
            nb.withUnsafeBufferPointer { splitWords($0, allowWS: allowWS, boundary: PrefixMatcher([])) { p, n in b.add(p, n, count: 1) } }
            #expect(shards[0].count + shards[1].count == b.count)
            #expect(wordCounts(shards) == wordCounts([b]))
        }
    }
}

/// Every word of the counters with its count.
func wordCounts(_ counters: [WordCounter]) -> [[UInt8]: UInt64] {
    var d: [[UInt8]: UInt64] = [:]
    for c in counters { c.forEach { p, n, k in d[Array(UnsafeBufferPointer(start: p, count: n)), default: 0] += k } }
    return d
}

@Suite struct WordCounterTests {
    /// The inline-key table against a dictionary: short and long keys, repeats, growth, merging.
    @Test func countsLikeADictionary() {
        var rng = SeededRandom(seed: 7)
        var a = WordCounter(capacity: 4), b = WordCounter(capacity: 4)
        var want: [[UInt8]: UInt64] = [:]
        for k in 0..<20_000 {
            let len = [1, 7, 8, 9, 15, 16, 17, 40][Int.random(in: 0..<8, using: &rng)]
            let key = (0..<len).map { _ in UInt8.random(in: 0..<3, using: &rng) == 0 ? 0 : UInt8.random(in: 0...255, using: &rng) }
            let c = UInt64.random(in: 1...3, using: &rng)
            key.withUnsafeBufferPointer { if k % 2 == 0 { a.add($0.baseAddress!, len, count: c) } else { b.add($0.baseAddress!, len, count: c) } }
            want[key, default: 0] += c
        }
        a.merge(b)
        #expect(wordCounts([a]) == want)
        #expect(a.count == want.count)
    }
}

@Suite struct MemoryBudgetTests {
    @Test func budgetPrunesRareWordsAndStillTrains() throws {
        var o = BPETrainerOptions.llama2
        o.vocabSize = 500
        o.characterCoverage = 1.0
        o.memoryBudget = 2 << 20
        let t = BPETrainer(options: o)
        let m = try t.train(try smallCorpus())
        #expect(t.stats.estimatedBytes > 2 << 20)
        #expect(t.stats.prunedWords > 0)
        #expect(m.pieces.count == 500)
        _ = try SentencePieceModel(proto: m)
    }
}

@Suite struct TrainingCorpusTests {
    @Test func loadsTextAndJSONLFilesWithSentencepieceFilters() throws {
        let tmp = TempDir("corpus"); defer { tmp.cleanup() }
        let dir = tmp.path
        let long = String(repeating: "x", count: 5000)
        try "one\n\ntwo three\n\(long)\nhas \u{2585} marker\nlast".write(toFile: dir + "/a.txt", atomically: true, encoding: .utf8)
        try "four\n".write(toFile: dir + "/b.txt", atomically: true, encoding: .utf8)
        try "{\"text\":\"j1\\nj2\"}\n\n{\"id\":3,\"text\":\"j3\"}\n".write(toFile: dir + "/c.jsonl", atomically: true, encoding: .utf8)
        let t = try TrainingCorpus.load(paths: [dir + "/a.txt", dir + "/b.txt"], format: .text, maxSentenceLength: 4192)
        let sentences = (0..<t.count).map { String(decoding: t.bytes[t.range($0)], as: UTF8.self) }
        #expect(sentences == ["one", "two three", "last", "four"])
        #expect(t.skipped == 2)
        let j = try TrainingCorpus.load(paths: [dir + "/c.jsonl"], format: .jsonl, maxSentenceLength: 4192)
        #expect((0..<j.count).map { String(decoding: j.bytes[j.range($0)], as: UTF8.self) } == ["j1", "j2", "j3"])
        try "{\"body\":1}\n".write(toFile: dir + "/bad.jsonl", atomically: true, encoding: .utf8)
        #expect(throws: TrainingInputError.self) { try TrainingCorpus.load(paths: [dir + "/bad.jsonl"], format: .jsonl, maxSentenceLength: 4192) }
        let s = t.sampled(2, shuffle: true, seed: 1)
        #expect(s.count == 2 && s.sampled(2, shuffle: true, seed: 1).count == 2)
        #expect(t.sampled(2, shuffle: true, seed: 1).bytes == s.bytes)
    }
}
