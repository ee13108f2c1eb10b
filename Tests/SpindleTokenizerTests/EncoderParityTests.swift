import Foundation
import Testing
import SpindleIO
@testable import SpindleTokenizer
import SpindleTestSupport

@Suite struct EncoderParityTests {
    /// Every reference vector (sentencepiece's own ids and pieces for Llama 2) must match exactly.
    @Test(.requires(.llama2Tokenizer, .llama2Parity))
    func llama2ParityVectors() throws {
        let model = try SharedData.llama2()
        let text = try String(contentsOfFile: SharedData.llama2Parity, encoding: .utf8)
        var total = 0, idsOK = 0, piecesOK = 0, roundTrip = 0
        var firstFailures: [String] = [], rtFailures: [String] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            let obj = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            let input = obj["text"] as! String
            let ids = (obj["ids"] as! [NSNumber]).map { $0.int32Value }
            let pieces = obj["pieces"] as! [String]
            total += 1
            let got = model.encode(input)
            if got == ids { idsOK += 1 } else if firstFailures.count < 5 { firstFailures.append("\(input.debugDescription): \(got) vs \(ids)") }
            if got.map({ model.piece($0)! }) == pieces { piecesOK += 1 }
            let back = try model.decode(got)
            if back == input { roundTrip += 1 } else if rtFailures.count < 3 { rtFailures.append("\(input.debugDescription) -> \(back.debugDescription)") }
        }
        #expect(total > 4000)
        #expect(idsOK == total, "\(firstFailures)")
        #expect(piecesOK == total)
        // sentencepiece itself fails exactly one vector: "▁ already meta" (a literal U+2581 decodes as a space).
        #expect(roundTrip >= total - 1, "round trip \(roundTrip)/\(total) \(rtFailures)")
    }

    @Test(.requires(.llama2Tokenizer), arguments: [
        ("", [Int32]()),
        ("a  b   c", [263, 29871, 289, 259, 274]),
        ("Hello world", [15043, 3186]),
        ("<s>", [529, 29879, 29958]),
    ])
    func llama2EdgeCases(text: String, ids: [Int32]) throws {
        let model = try SharedData.llama2()
        #expect(model.encode(text) == ids)
    }

    @Test(.requires(.llama2Tokenizer))
    func specialIDsAndBOS() throws {
        let m = try SharedData.llama2()
        #expect(m.vocabSize == 32000 && m.unkID == 0 && m.bosID == 1 && m.eosID == 2 && m.padID == -1)
        #expect(m.pieceID("▁the") == 278)
        #expect(m.encode("hi", addBOS: true, addEOS: true).first == 1)
        #expect(m.encode("hi", addBOS: true, addEOS: true).last == 2)
        #expect(m.fingerprint.count == 64)
    }

    /// The chunked, cached fast path must equal the plain whole-line merge loop (its oracle).
    @Test(.requires(.llama2Tokenizer))
    func fastPathMatchesWholeLineMerge() throws {
        let m = try SharedData.llama2()
        #expect(m.chunked && m.packedMerge)   // both fast paths are on for Llama 2 and held to the oracles here
        var rng = SeededRandom(seed: 7)
        let alphabet = Array("  aeiou tnsrl▁\t\n0123456789.,-'ÄéßЖ中文日本語😀\u{00A0}\u{3000}thethe ing ion".unicodeScalars)
        let ws = BPEWorkspace()
        for _ in 0..<2000 {
            var s = String.UnicodeScalarView()
            for _ in 0..<Int.random(in: 0...40, using: &rng) { s.append(alphabet[Int.random(in: 0..<alphabet.count, using: &rng)]) }
            let text = String(s)
            let fast = m.encode(text)
            var t = text
            t.withUTF8 { buf in
                ws.s.normalized.removeAll(); ws.s.symbols.removeAll()
                m.normalizer.normalize(buf, into: &ws.s.normalized)
                if !ws.s.normalized.isEmpty { bpeMerge(m, &ws.s, range: 0..<ws.s.normalized.count) }
            }
            var slow: [Int32] = []
            var prevUnk = false
            m.appendIDs(&ws.s, into: &slow, prevUnk: &prevUnk)
            #expect(fast == slow, "\(text.debugDescription)")
            #expect(fast == naiveEncode(m, text), "\(text.debugDescription)")
        }
    }

    /// Threads sharing one model (each borrows its own workspace and word memo) give the serial ids.
    @Test(.requires(.llama2Tokenizer, .llama2Parity))
    func concurrentEncodingMatchesSerial() throws {
        let m = try SharedData.llama2()
        let text = try String(contentsOfFile: SharedData.llama2Parity, encoding: .utf8)
        let lines = try text.split(separator: "\n", omittingEmptySubsequences: true).map { line in
            (try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any])["text"] as! String
        }
        let serial = lines.map { m.encode($0) }
        let results = ThreadSlots<[[Int32]]>(4, [])
        DispatchQueue.concurrentPerform(iterations: 4) { t in
            // Each thread walks the lines from a different start, twice (second pass from the memo).
            var out = [[Int32]](repeating: [], count: lines.count)
            for _ in 0..<2 {
                for k in 0..<lines.count { let i = (k + t * 997) % lines.count; out[i] = m.encode(lines[i]) }
            }
            results[t] = out
        }
        for t in 0..<4 { #expect(results[t] == serial, "thread \(t)") }
    }

    /// Score ranks keep the order of the scores and their ties; NaN scores have no rank.
    @Test func scoreRanks() {
        #expect(pieceScoreRanks([0, -1, -1, 2, -1e9]) == [3, 2, 2, 4, 1])
        #expect(pieceScoreRanks([0, .nan]) == nil)
    }

    /// The word memo is exact whatever collides: a 4-slot memo (constant eviction) and the default one,
    /// each used twice over the same lines (second pass from the memo), give the uncached ids.
    @Test(.requires(.llama2Tokenizer, .llama2Parity))
    func wordCacheIsExactUnderCollisions() throws {
        let m = try SharedData.llama2()
        let text = try String(contentsOfFile: SharedData.llama2Parity, encoding: .utf8)
        var lines: [String] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            let obj = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            lines.append(obj["text"] as! String)
        }
        lines += ["a a a a", "▁▁x ▁y", "😀😀 😀", "\u{0}\u{1} \u{7F}", String(repeating: "z", count: 200), "é " + String(repeating: "ab", count: 40),
                  String(repeating: " ", count: 30) + "if x:", "+" + String(repeating: "-", count: 90) + "+", String(repeating: "é", count: 70)]
        let expected = lines.map { line -> [Int32] in
            let ws = BPEWorkspace()
            var t = line
            t.withUTF8 { m.encodeSymbols($0, &ws.s) }
            var ids: [Int32] = []
            var prevUnk = false
            m.appendIDs(&ws.s, into: &ids, prevUnk: &prevUnk)
            return ids
        }
        for slots in [4, WordCache.defaultSlots] {
            let ws = BPEWorkspace()
            ws.s.cache.slotCount = slots
            ws.s.longCache.slotCount = min(slots, 1 << 12)
            for _ in 0..<2 {
                for (line, want) in zip(lines, expected) {
                    var ids: [Int32] = [7]   // appends after what is there
                    var t = line
                    t.withUTF8 { m.encodeIDsChunked($0, &ws.s, into: &ids) }
                    #expect(ids == [7] + want, "\(slots) slots: \(line.debugDescription)")
                }
            }
        }
    }

    /// Decoding random id sequences agrees with Python sentencepiece (invalid byte runs, controls, unk).
    @Test(.requires(.llama2Tokenizer, .python("sentencepiece")))
    func decodeMatchesSentencePiece() throws {
        let m = try SharedData.llama2()
        var rng = SeededRandom(seed: 11)
        var seqs: [[Int32]] = []
        for _ in 0..<300 {
            var ids: [Int32] = []
            for _ in 0..<Int.random(in: 0...12, using: &rng) {
                let r = Int.random(in: 0..<10, using: &rng)
                ids.append(r < 4 ? Int32.random(in: 3...258, using: &rng) : r < 5 ? Int32.random(in: 0...2, using: &rng) : Int32.random(in: 259..<32000, using: &rng))
            }
            seqs.append(ids)
        }
        // Sequences that probe the dummy-prefix rule: spaces, controls, bytes and unk before '▁' pieces.
        seqs += [[29871, 512], [1, 29871, 512], [1, 2, 278], [65, 278], [0, 278], [259, 278], [29871], [1, 1678, 13], [3, 278]]
        let input = seqs.map { $0.map(String.init).joined(separator: " ") }.joined(separator: "\n") + "\n"
        let script = """
        import sys, json, sentencepiece as spm
        sp = spm.SentencePieceProcessor(model_file=sys.argv[1])
        for line in sys.stdin.read().split("\\n")[:-1]:
            ids = [int(x) for x in line.split()]
            print(json.dumps(sp.decode(ids)))
        """
        let out = try runPython(script, stdin: Data(input.utf8), args: [SharedData.llama2Model])
        let expected = String(decoding: out, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(expected.count == seqs.count)
        for (ids, e) in zip(seqs, expected) {
            let want = try JSONSerialization.jsonObject(with: Data(e.utf8), options: .fragmentsAllowed) as! String
            #expect(try m.decode(ids) == want, "\(ids)")
        }
    }

    @Test(.requires(.llama2Tokenizer))
    func decodeRejectsOutOfRangeIDs() throws {
        let m = try SharedData.llama2()
        #expect(throws: TokenizerError.idOutOfRange(32000, vocabSize: 32000)) { try m.decode([32000]) }
        #expect(throws: TokenizerError.self) { try m.decode([-1]) }
    }
}

/// The textbook algorithm with Strings and linear scans: the oracle for the fast encoder.
func naiveEncode(_ m: SentencePieceModel, _ text: String) -> [Int32] {
    if text.isEmpty { return [] }
    let norm = "\u{2581}" + text.replacingOccurrences(of: " ", with: "\u{2581}")
    var syms = norm.unicodeScalars.map { String($0) }
    while true {
        var best: (score: Float, at: Int)? = nil
        for i in 0..<max(0, syms.count - 1) {
            if let id = m.pieceID(syms[i] + syms[i + 1]), m.mergeable[Int(id)] {
                let s = m.score(id)
                if best == nil || s > best!.score { best = (s, i) }
            }
        }
        guard let b = best else { break }
        syms[b.at] += syms[b.at + 1]
        syms.remove(at: b.at + 1)
    }
    var ids: [Int32] = []
    for s in syms {
        if let id = m.pieceID(s) { ids.append(id) } else {
            for b in s.utf8 { ids.append(m.pieceID(String(format: "<0x%02X>", b))!) }
        }
    }
    return ids
}

/// Models with sentencepiece's default normaliser (nmt_nfkc precompiled charsmap, extra whitespace
/// removal) and without byte fallback: trained by Python sentencepiece on corpora/, encoded by both.
@Suite struct NormalizerParityTests {
    @Test(.requires(.python("sentencepiece")), arguments: ["nmt_nfkc", "nfkc_cf", "identity"])
    func charsmapModelsMatchSentencePiece(rule: String) throws {
        let tmp = TempDir("nfkc"); defer { tmp.cleanup() }
        let dir = tmp.path
        let texts = ["  Leading and   repeated   spaces  ", "ﬁnancial ﬂow Ⅻ ① ＡＢＣ１２３ ｶﾀｶﾅ", "Café naïve coöperate",
                     "tab\there", "①②③ ™ ℃ ½", "KING RICHARD: Hark!", "", "   ", "日本語テキスト", "\u{00A0}nbsp\u{3000}ideographic",
                     "<s> </s> <unk>", "x\u{0301}y\u{0308}", "Ǆemal ǅ ǆ", "ＬＯＵＤ　ｗｏｒｄｓ",
                     "日本 the 日本 the 日本語 the the"]
        let script = """
        import sys, json, sentencepiece as spm
        d, rule, corpus = sys.argv[1], sys.argv[2], sys.argv[3]
        spm.SentencePieceTrainer.train(input=corpus, model_prefix=d + "/m", model_type="bpe", vocab_size=600,
            normalization_rule_name=rule, byte_fallback=False, minloglevel=2, character_coverage=1.0)
        sp = spm.SentencePieceProcessor(model_file=d + "/m.model")
        for line in sys.stdin.read().split("\\n"):
            t = json.loads(line)
            print(json.dumps([sp.encode(t), sp.decode(sp.encode(t)), sp.normalize(t)]))
        """
        let input = texts.map { String(decoding: try! JSONSerialization.data(withJSONObject: $0, options: .fragmentsAllowed), as: UTF8.self) }.joined(separator: "\n")
        // Trained on the committed encyclopedia articles (sentencepiece takes a comma-separated file list).
        let corpus = TestPaths.corpusFiles("encyclopedia", suffix: ".txt").joined(separator: ",")
        let out = try runPython(script, stdin: Data(input.utf8), args: [dir, rule, corpus])
        let rows = String(decoding: out, as: UTF8.self).split(separator: "\n")
        try #require(rows.count == texts.count)
        let m = try SentencePieceModel(contentsOf: dir + "/m.model")
        #expect((rule == "identity") == m.proto.normalizerSpec.precompiledCharsmap.isEmpty)
        if rule != "identity" { #expect(m.normalize("  ﬁ  ＡＢ ") == "\u{2581}fi\u{2581}" + (rule == "nfkc_cf" ? "ab" : "AB")) }
        for (t, row) in zip(texts, rows) {
            let r = try JSONSerialization.jsonObject(with: Data(row.utf8)) as! [Any]
            let ids = (r[0] as! [NSNumber]).map { $0.int32Value }
            #expect(m.encode(t) == ids, "\(rule) \(t.debugDescription)")
            #expect(try m.decode(ids) == r[1] as! String, "\(rule) decode \(t.debugDescription)")
        }
    }
}

@Suite struct EncoderFuzzTests {
    /// Random bytes (mostly invalid UTF-8, long runs, NULs): encoding never traps, ids are in range,
    /// decoding succeeds, and each invalid byte comes back as one U+FFFD.
    func randomBytesRoundTrip(_ m: SentencePieceModel) throws {
        var rng = SeededRandom(seed: 99)
        for round in 0..<400 {
            let n = round % 50 == 0 ? Int.random(in: 500...3000, using: &rng) : Int.random(in: 0...64, using: &rng)
            let bytes = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
            var ids: [Int32] = []
            m.encode(utf8: bytes, into: &ids)
            #expect(ids.allSatisfy { $0 >= 0 && Int($0) < m.vocabSize })
            let back = try m.decode(ids)
            // Each invalid byte becomes U+FFFD; a literal '▁' (U+2581) in the input decodes as a space.
            var valid: [UInt8] = []
            appendValidatedUTF8(bytes, to: &valid)
            let expected = String(decoding: valid, as: UTF8.self).replacingOccurrences(of: "\u{2581}", with: " ")
            #expect(Array(back.utf8) == Array(expected.utf8), "round \(round): \(bytes.prefix(64))")
        }
    }

    @Test func randomBytesNeverCrashWithACorpusModel() throws {
        try randomBytesRoundTrip(try corpusModel())
    }

    @Test(.requires(.llama2Tokenizer))
    func randomBytesNeverCrash() throws {
        try randomBytesRoundTrip(try SharedData.llama2())
    }
}
