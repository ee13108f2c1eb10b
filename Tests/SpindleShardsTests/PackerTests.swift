import Foundation
import Testing
import SpindleIO
@testable import SpindleShards
import SpindleTestSupport

/// Random words for test documents and dialogues.
func words(_ rng: inout TestRNG, _ n: Int) -> String {
    let vocab = ["the", "cat", "sat", "on", "a", "mat", "über", "数据", "42", "x", "token", "shard", "é"]
    return (0..<n).map { _ in vocab[rng.int(vocab.count)] }.joined(separator: " ")
}

func sinkOptions(_ dir: String, seqLen: Int, seed: UInt64 = 1, sizeLimit: Int? = 1 << 26) -> ShardSink.Options {
    var o = ShardSink.Options(directory: dir)
    o.seqLen = seqLen
    o.seed = seed
    o.sizeLimit = sizeLimit
    return o
}

func randomDialogues(_ n: Int, seed: UInt64, maxWords: Int = 40) -> [Dialogue] {
    var rng = TestRNG(seed)
    return (0..<n).map { i in
        var msgs: [ChatMessage] = []
        if rng.int(3) == 0 { msgs.append(.init(.system, words(&rng, 1 + rng.int(8)))) }
        for _ in 0..<(1 + rng.int(3)) {
            msgs.append(.init(.user, words(&rng, 1 + rng.int(maxWords))))
            msgs.append(.init(.assistant, words(&rng, 1 + rng.int(maxWords))))
        }
        return Dialogue(id: "d\(i)", messages: msgs)
    }
}

@Suite("Pretrain packer")
struct PretrainPackerTests {
    @discardableResult
    func pack(_ docs: [String], dir: String, seqLen: Int, pad: Bool = true, buffer: Int = 8, seed: UInt64 = 1) throws -> [String: JSONValue] {
        let e = FakeEncoder()
        let sink = try ShardSink(kind: .pretrain, encoder: e, options: sinkOptions(dir, seqLen: seqLen, seed: seed, sizeLimit: 4000))
        var o = PretrainPacker.Options()
        o.padLastRow = pad
        o.shuffleBuffer = buffer
        let p = PretrainPacker(sink: sink, encoder: e, options: o)
        for (i, d) in docs.enumerated() { try p.add(text: d, id: "doc\(i)") }
        return try p.finish()
    }

    /// Documents -> rows -> documents: every token survives, in order, with <s>/</s> around each.
    @Test(arguments: [16, 64, 200])
    func roundTrip(seqLen: Int) throws {
        let t = TempDir(); defer { t.cleanup() }
        var rng = TestRNG(UInt64(seqLen))
        let docs = (0..<60).map { _ in words(&rng, 1 + rng.int(60)) }
        try pack(docs, dir: t.path, seqLen: seqLen, buffer: 1)  // in order, so pieces can be rejoined
        let ds = try ShardDataset(directory: t.path, kind: .pretrain, tokenizer: TokenizerStamp(FakeEncoder()))
        var stream: [Int32] = []
        for i in 0..<ds.count {
            let row = try ds.row(i)
            #expect(row.inputIDs.count == seqLen)
            for seg in row.segments { stream += row.inputIDs[seg] }
            // Segment ids count up from 1 within each row; padding only at the end.
            var last: Int32 = 0
            for s in row.segmentIDs { #expect(s == last || s == last + 1 || (s == 0)); if s != 0 { last = s } }
        }
        let e = FakeEncoder()
        let expected = docs.flatMap { [e.bosID] + e.encode($0) + [e.eosID] }
        #expect(stream == expected)
    }

    @Test func lastRowPaddedOrDropped() throws {
        let t = TempDir(); defer { t.cleanup() }
        let docs = ["abc", "defgh"]  // 1+4+1 + 1+6+1 = 14 tokens
        let padded = try pack(docs, dir: t.sub("pad"), seqLen: 10, pad: true)
        #expect(padded["rows"] == .int(2))
        #expect(padded["pad_tokens"] == .int(6))
        let dropped = try pack(docs, dir: t.sub("drop"), seqLen: 10, pad: false)
        #expect(dropped["rows"] == .int(1))
        #expect(dropped["dropped_tokens"] == .int(4))
        #expect(dropped["continued_documents"] == .int(1))
        let row = try ShardDataset(directory: t.sub("pad")).row(1)
        #expect(row.segmentIDs == [1, 1, 1, 1, 0, 0, 0, 0, 0, 0])
        #expect(row.positions == [0, 1, 2, 3, 0, 0, 0, 0, 0, 0])
        #expect(row.lossMask == [1, 1, 1, 1, 0, 0, 0, 0, 0, 0])
    }

    /// Same input and seed: byte-identical directories. Another seed: another row order.
    @Test func deterministicShuffle() throws {
        let t = TempDir(); defer { t.cleanup() }
        var rng = TestRNG(3)
        let docs = (0..<200).map { _ in words(&rng, 1 + rng.int(30)) }
        try pack(docs, dir: t.sub("a"), seqLen: 32, seed: 5)
        try pack(docs, dir: t.sub("b"), seqLen: 32, seed: 5)
        try pack(docs, dir: t.sub("c"), seqLen: 32, seed: 6)
        let files = ShardFiles.list(t.sub("a")).sorted()
        #expect(files.count > 2)
        #expect(files == ShardFiles.list(t.sub("b")).sorted())
        for f in files { #expect(readBytes(t.sub("a/\(f)")) == readBytes(t.sub("b/\(f)")), "\(f)") }
        #expect(readBytes(t.sub("a/index.json")) != readBytes(t.sub("c/index.json")))
    }
}

@Suite("SFT packer")
struct SFTPackerTests {
    func pack(_ dialogues: [Dialogue], dir: String, seqLen: Int, strategy: PackingStrategy = .bestFit,
              overlong: SFTPacker.Overlong = .truncate, gatt: Bool = false, window: Int = 0, seed: UInt64 = 1) throws -> SFTPacker {
        let e = FakeEncoder()
        let sink = try ShardSink(kind: .sft, encoder: e, options: sinkOptions(dir, seqLen: seqLen, seed: seed, sizeLimit: 20_000))
        var o = SFTPacker.Options()
        o.strategy = strategy
        o.overlong = overlong
        o.gatt = gatt
        o.window = window
        let p = SFTPacker(sink: sink, encoder: e, options: o)
        for d in dialogues { try p.add(d) }
        try p.finish()
        return p
    }

    /// Records -> shards -> records: each segment is exactly one rendered example with its own mask;
    /// no example is split across rows; nothing is lost or duplicated.
    @Test(arguments: [PackingStrategy.bestFit, .greedy])
    func roundTripNoSplits(strategy: PackingStrategy) throws {
        let t = TempDir(); defer { t.cleanup() }
        let dialogues = randomDialogues(150, seed: 21)
        let p = try pack(dialogues, dir: t.path, seqLen: 1024, strategy: strategy)
        #expect(p.truncated == 0 && p.droppedOverlong == 0)
        let template = Llama2ChatTemplate(encoder: FakeEncoder())
        var expected: [[Int32]: [[UInt8]]] = [:]
        for d in dialogues { let r = try template.render(d.messages); expected[r.ids, default: []].append(r.mask) }
        let ds = try ShardDataset(directory: t.path, kind: .sft)
        var found = 0
        for i in 0..<ds.count {
            let row = try ds.row(i)
            #expect(row.inputIDs.count == 1024)
            for seg in row.segments {
                let ids = Array(row.inputIDs[seg])
                let mask = Array(row.lossMask[seg])
                guard var masks = expected[ids], let k = masks.firstIndex(of: mask) else {
                    Issue.record("row \(i) segment \(seg) is not a whole example with its mask"); continue
                }
                masks.remove(at: k)
                expected[ids] = masks.isEmpty ? nil : masks
                found += 1
            }
            for j in row.segmentIDs.indices where row.segmentIDs[j] == 0 {
                #expect(row.lossMask[j] == 0 && row.inputIDs[j] == 0)
            }
        }
        #expect(found == dialogues.count)
        #expect(expected.isEmpty)
    }

    @Test func bestFitFillsBetterThanGreedy() throws {
        let t = TempDir(); defer { t.cleanup() }
        let dialogues = randomDialogues(400, seed: 5, maxWords: 80)
        let bfd = try pack(dialogues, dir: t.sub("bfd"), seqLen: 4096)
        let greedy = try pack(dialogues, dir: t.sub("greedy"), seqLen: 4096, strategy: .greedy)
        #expect(bfd.tokens == greedy.tokens)
        #expect(bfd.rows < greedy.rows)
        #expect(bfd.rows <= (bfd.tokens + 4095) / 4096 + 1)  // within one row of the lower bound
        #expect(bfd.fillRatio > 0.97)
    }

    @Test func overlongTruncatedOrDropped() throws {
        let t = TempDir(); defer { t.cleanup() }
        var rng = TestRNG(8)
        let long = Dialogue(id: "long", messages: [.init(.user, "q"), .init(.assistant, words(&rng, 20)),
                                                   .init(.user, "q2"), .init(.assistant, words(&rng, 200))])
        let huge = Dialogue(id: "huge", messages: [.init(.user, "q"), .init(.assistant, words(&rng, 300))])
        let hugePrompt = Dialogue(id: "hp", messages: [.init(.user, words(&rng, 300)), .init(.assistant, "a")])
        let short = randomDialogues(5, seed: 1, maxWords: 5)
        let dropped = try pack([long, huge, hugePrompt] + short, dir: t.sub("drop"), seqLen: 256, overlong: .drop)
        #expect(dropped.droppedOverlong == 3 && dropped.truncated == 0)
        let cut = try pack([long, huge, hugePrompt] + short, dir: t.sub("cut"), seqLen: 256, overlong: .truncate)
        #expect(cut.truncated == 2 && cut.droppedOverlong == 1)  // the prompt-only survivor has no answer left
        let ds = try ShardDataset(directory: t.sub("cut"))
        let firstTurn = try Llama2ChatTemplate(encoder: FakeEncoder()).render(Array(long.messages[0..<2])).ids
        var sawWholeTurn = false, sawCutAnswer = false
        for i in 0..<ds.count {
            let row = try ds.row(i)
            for seg in row.segments {
                let ids = Array(row.inputIDs[seg])
                if ids == firstTurn { sawWholeTurn = true }  // long: the first turn kept whole, the second dropped
                if ids.count == 256 && ids.last != 2 && row.lossMask[seg].last == 1 { sawCutAnswer = true }  // huge: answer tail cut
            }
        }
        #expect(sawWholeTurn && sawCutAnswer)
    }

    @Test func gattExpandsSystemDialogues() throws {
        let t = TempDir(); defer { t.cleanup() }
        let d = Dialogue(id: "g", messages: [.init(.system, "Speak French"), .init(.user, "u1"), .init(.assistant, "a1"),
                                             .init(.user, "u2"), .init(.assistant, "a2")])
        let p = try pack([d], dir: t.path, seqLen: 512, gatt: true)
        #expect(p.rendered == 2 && p.examples == 1)
        let row = try ShardDataset(directory: t.path).row(0)
        #expect(row.segments.count == 2)
        let masked = row.lossMask.filter { $0 == 1 }.count
        #expect(masked == FakeEncoder().encode("a1 ").count + 1 + FakeEncoder().encode("a2 ").count + 1)
    }

    /// Window packing and determinism: the same input and seed give byte-identical shards.
    @Test func deterministic() throws {
        let t = TempDir(); defer { t.cleanup() }
        let dialogues = randomDialogues(120, seed: 2)
        _ = try pack(dialogues, dir: t.sub("a"), seqLen: 256, window: 50, seed: 9)
        _ = try pack(dialogues, dir: t.sub("b"), seqLen: 256, window: 50, seed: 9)
        for f in ShardFiles.list(t.sub("a")) { #expect(readBytes(t.sub("a/\(f)")) == readBytes(t.sub("b/\(f)"))) }
    }
}

@Suite("Preference packer")
struct PreferencePackerTests {
    static func pairs(_ n: Int, safety: Int, seed: UInt64) -> [PreferenceExample] {
        var rng = TestRNG(seed)
        return (0..<n).map { i in
            let isSafety = i < safety
            return PreferenceExample(
                id: "p\(i)", prompt: [.init(.user, words(&rng, 1 + rng.int(10)))],
                chosen: words(&rng, 1 + rng.int(10)), rejected: words(&rng, 1 + rng.int(10)),
                degree: PreferenceDegree(rawValue: rng.int(4))!.pairDegree, aspect: isSafety ? .safety : .helpfulness,
                safety: isSafety ? SafetyLabel.allCases[rng.int(3)] : nil)
        }
    }

    @Test func roundTrip() throws {
        let t = TempDir(); defer { t.cleanup() }
        let e = FakeEncoder()
        let input = Self.pairs(40, safety: 15, seed: 4)
        let sink = try ShardSink(kind: .preference, encoder: e, options: sinkOptions(t.path, seqLen: 4096))
        let p = PreferencePacker(sink: sink, encoder: e)
        for x in input { try p.add(x) }
        try p.finish()
        let ds = try ShardDataset(directory: t.path, kind: .preference)
        #expect(ds.count == 40)
        let template = Llama2ChatTemplate(encoder: e)
        for (i, x) in input.enumerated() {
            let r = try ds.pair(i)
            let prompt = try template.renderPrompt(x.prompt)
            #expect(r.id == x.id)
            #expect(r.promptLength == prompt.count)
            #expect(Array(r.chosenIDs[0..<r.promptLength]) == prompt && Array(r.rejectedIDs[0..<r.promptLength]) == prompt)
            #expect(text(r.chosenIDs[r.promptLength...].dropLast()) == x.chosen + " ")
            #expect(r.chosenIDs.last == 2 && r.rejectedIDs.last == 2)
            #expect(r.degree == PreferenceDegree(x.degree) && r.aspect == x.aspect.rawValue && r.safety == (x.safety?.rawValue ?? ""))
        }
    }

    @Test func mixes() {
        let aspects: [PreferenceAspect] = Array(repeating: .safety, count: 900) + Array(repeating: .helpfulness, count: 300)
        let h = PreferenceMix.helpfulness.select(aspects: aspects, seed: 1)
        #expect(h.filter { aspects[$0] == .helpfulness }.count == 300)
        #expect(h.filter { aspects[$0] == .safety }.count == 300)
        let s = PreferenceMix.safety.select(aspects: aspects, seed: 1)
        #expect(s.filter { aspects[$0] == .safety }.count == 900)
        #expect(s.filter { aspects[$0] == .helpfulness }.count == 100)
        #expect(Set(s).count == s.count)
        #expect(PreferenceMix.safety.select(aspects: aspects, seed: 1) == s)
        #expect(PreferenceMix.safety.select(aspects: aspects, seed: 2) != s)
        #expect(PreferenceMix.all.select(aspects: aspects, seed: 1) == Array(0..<1200))
    }

    @Test func promptsOnlyDeduplicates() throws {
        let t = TempDir(); defer { t.cleanup() }
        let e = FakeEncoder()
        let sink = try ShardSink(kind: .prompts, encoder: e, options: sinkOptions(t.path, seqLen: 4096))
        let p = PromptPacker(sink: sink, encoder: e)
        try p.add(id: "a", prompt: [.init(.user, "same")], aspect: .helpfulness)
        try p.add(id: "b", prompt: [.init(.user, "same")], aspect: .helpfulness)
        try p.add(id: "c", prompt: [.init(.user, "other")], aspect: .safety)
        try p.finish()
        let ds = try ShardDataset(directory: t.path, kind: .prompts)
        #expect(ds.count == 2 && p.duplicates == 1)
        #expect(try ds.prompt(1).id == "c")
    }
}

@Suite("Shard data set")
struct ShardDatasetTests {
    func packSFT(_ dir: String, encoder: FakeEncoder = FakeEncoder(), tokenType: MDSDType? = nil) throws {
        var o = sinkOptions(dir, seqLen: 128, sizeLimit: 3000)
        o.tokenType = tokenType
        let sink = try ShardSink(kind: .sft, encoder: encoder, options: o)
        let p = SFTPacker(sink: sink, encoder: encoder)
        for d in randomDialogues(60, seed: 3, maxWords: 10) { try p.add(d) }
        try p.finish()
    }

    @Test func refusesOtherTokenizerAndKind() throws {
        let t = TempDir(); defer { t.cleanup() }
        try packSFT(t.path)
        var other = FakeEncoder()
        other.fingerprint = "another-model"
        #expect(throws: ShardError.self) { try ShardDataset(directory: t.path, tokenizer: TokenizerStamp(other)) }
        do { _ = try ShardDataset(directory: t.path, tokenizer: TokenizerStamp(other)) } catch {
            #expect("\(error)".contains("packed with tokenizer fake-bytes-v1"))
        }
        var bigger = FakeEncoder()
        bigger.vocabSize = 301
        #expect(throws: ShardError.self) { try ShardDataset(directory: t.path, tokenizer: TokenizerStamp(bigger)) }
        #expect(throws: ShardError.wrongKind(directory: t.path, expected: "pretrain", found: "sft")) {
            try ShardDataset(directory: t.path, kind: .pretrain)
        }
        _ = try ShardDataset(directory: t.path, kind: .sft, tokenizer: TokenizerStamp(FakeEncoder()))
    }

    @Test func vocabularyMustFitTheTokenColumn() throws {
        let t = TempDir(); defer { t.cleanup() }
        var big = FakeEncoder()
        big.vocabSize = 70_000
        #expect(throws: ShardError.vocabularyTooLarge(vocabSize: 70_000, dtype: "uint16")) {
            try packSFT(t.sub("a"), encoder: big, tokenType: .uint16)
        }
        try packSFT(t.sub("b"), encoder: big)  // chooses int32 itself
        let ds = try ShardDataset(directory: t.sub("b"))
        #expect(ds.metadata.tokenType == .int32)
        #expect(ds.reader.columns.encodings[0] == MDSEncoding("ndarray:int32:128"))
    }

    /// A cursor saved mid-epoch resumes the exact same sequence of rows.
    @Test func cursorResumes() throws {
        let t = TempDir(); defer { t.cleanup() }
        try packSFT(t.path)
        let ds = try ShardDataset(directory: t.path)
        #expect(ds.reader.index.shards.count > 1)
        var it = RowIterator(dataset: ds, cursor: ShardCursor(seed: 7))
        var all: [PackedRow] = []
        for _ in 0..<(ds.count * 2 + 3) { all.append(try it.next()!) }
        var first = RowIterator(dataset: ds, cursor: ShardCursor(seed: 7))
        for _ in 0..<(ds.count + 2) { _ = try first.next() }
        let saved = try JSONDecoder().decode(ShardCursor.self, from: JSONEncoder().encode(first.cursor))
        var resumed = RowIterator(dataset: ds, cursor: saved)
        for k in (ds.count + 2)..<all.count { #expect(try resumed.next() == all[k]) }
        // Each epoch is a permutation of all rows, and epochs differ.
        let order = ShardOrder(dataset: ds, cursor: ShardCursor(seed: 7))
        #expect(order.epochOrder(0).sorted() == Array(0..<ds.count))
        #expect(order.epochOrder(0) != order.epochOrder(1))
    }
}

@Suite("Batches and margins")
struct BatchTests {
    @Test func batchesAreContiguousRows() throws {
        let t = TempDir(); defer { t.cleanup() }
        try ShardDatasetTests().packSFT(t.path)
        let ds = try ShardDataset(directory: t.path)
        var a = RowIterator(dataset: ds, cursor: ShardCursor(seed: 3))
        var b = RowIterator(dataset: ds, cursor: ShardCursor(seed: 3))
        let batch = try #require(try a.nextBatch(rows: 4))
        #expect(batch.inputIDs.count == 4 * 128 && batch.positions.count == 4 * 128)
        for r in 0..<4 {
            let row = try #require(try b.next())
            #expect(Array(batch.inputIDs[(r * 128)..<((r + 1) * 128)]) == row.inputIDs)
            #expect(Array(batch.lossMask[(r * 128)..<((r + 1) * 128)]) == row.lossMask)
            #expect(Array(batch.positions[(r * 128)..<((r + 1) * 128)]) == row.positions)
        }
        #expect(a.cursor == b.cursor)
    }

    @Test func llama2Margins() {
        #expect(PreferenceDegree.allCases.map { $0.margin() } == [0, 1.0 / 3, 2.0 / 3, 1])
        #expect(PreferenceDegree.allCases.map { $0.margin(large: true) } == [0, 1, 2, 3])
    }
}

@Suite("Empty input")
struct EmptyInputTests {
    /// Nothing to pack still gives a valid (empty) data set that streaming and Spindle open.
    @Test(arguments: [ShardKind.pretrain, .sft, .preference])
    func emptyDataSets(kind: ShardKind) throws {
        let t = TempDir(); defer { t.cleanup() }
        let e = FakeEncoder()
        let sink = try ShardSink(kind: kind, encoder: e, options: sinkOptions(t.path, seqLen: 64))
        switch kind {
        case .pretrain: try PretrainPacker(sink: sink, encoder: e).finish()
        case .sft: try SFTPacker(sink: sink, encoder: e).finish()
        default: try PreferencePacker(sink: sink, encoder: e).finish()
        }
        let ds = try ShardDataset(directory: t.path, kind: kind)
        #expect(ds.count == 0)
        #expect(ShardVerifier(dataset: ds, tokenizer: e).run().ok)
        #expect(try ShardInspector.inspect(ds).samples == 0)
        var it = RowIterator(dataset: ds)
        #expect(try it.next() == nil)
    }
}
