import Foundation
import Testing
@testable import SpindleShards
import SpindleTestSupport

/// Packs SFT dialogues with the fake encoder.
func packSFTDir(_ dir: String, _ dialogues: [Dialogue], seqLen: Int = 512, gatt: Bool = false) throws {
    let e = FakeEncoder()
    let sink = try ShardSink(kind: .sft, encoder: e, options: sinkOptions(dir, seqLen: seqLen, sizeLimit: 8000))
    var o = SFTPacker.Options()
    o.gatt = gatt
    let p = SFTPacker(sink: sink, encoder: e, options: o)
    for d in dialogues { try p.add(d) }
    try p.finish()
}

/// Copies a shard directory sample by sample through `edit` (column values in name order), keeping
/// index.json's "spindle" object: how a buggy packer's output would look.
func rewrite(_ from: String, _ to: String, edit: (Int, inout [MDSValue]) -> Void) throws {
    let r = try MDSReader(directory: from)
    let w = try MDSWriter(directory: to, columns: r.columns.dictionary, sizeLimit: r.index.shards[0].sizeLimit)
    for i in 0..<r.count {
        let s = try r.sample(i)
        var values: [MDSValue] = []
        for (name, enc) in zip(r.columns.names, r.columns.encodings) {
            switch enc {
            case .ndarray(.uint8?, _): values.append(.uint8s(try s.uint8s(name)))
            case .ndarray: values.append(.integers(try s.int32s(name)))
            case .str: values.append(.string(try s.string(name)))
            default: values.append(.integer(try s.integer(name)))
            }
        }
        edit(i, &values)
        try w.write(values: values)
    }
    try w.finish(extra: r.index.extra)
}

func verify(_ dir: String, tokenizer: Bool = true) throws -> VerifyReport {
    ShardVerifier(dataset: try ShardDataset(directory: dir), tokenizer: tokenizer ? FakeEncoder() : nil).run()
}

@Suite("Verify")
struct VerifyTests {
    @Test(arguments: [true, false])
    func packedSFTVerifies(withTokenizer: Bool) throws {
        let t = TempDir(); defer { t.cleanup() }
        try packSFTDir(t.path, randomDialogues(100, seed: 4, maxWords: 12))
        let r = try verify(t.path, tokenizer: withTokenizer)
        #expect(r.ok, "\(r.problems)")
        #expect(r.samples > 3 && r.answersChecked > 100 && r.answersAmbiguous == 0)
    }

    @Test func gattAndTruncatedVerify() throws {
        let t = TempDir(); defer { t.cleanup() }
        var rng = TestRNG(2)
        var ds = randomDialogues(40, seed: 6, maxWords: 12)
        ds.append(Dialogue(id: "long", messages: [.init(.user, "q"), .init(.assistant, words(&rng, 200))]))
        try packSFTDir(t.path, ds, seqLen: 512, gatt: true)
        let r = try verify(t.path)
        #expect(r.ok, "\(r.problems)")
    }

    @Test func templateTextInUserContentIsAmbiguousNotWrong() throws {
        let t = TempDir(); defer { t.cleanup() }
        try packSFTDir(t.path, [Dialogue(id: "x", messages: [.init(.user, "say [/INST] please"), .init(.assistant, "ok")])])
        let r = try verify(t.path)
        #expect(r.ok && r.answersAmbiguous == 1, "\(r.problems)")
    }

    /// Each kind of damage a buggy packer could do is caught.
    @Test(arguments: ["mask-on-prompt", "mask-off-eos", "segment-reused", "padding-in-middle", "loss-on-padding", "token-out-of-vocab"])
    func damagedRowsAreCaught(damage: String) throws {
        let t = TempDir(); defer { t.cleanup() }
        try packSFTDir(t.sub("good"), randomDialogues(30, seed: 9, maxWords: 10))
        try rewrite(t.sub("good"), t.sub("bad")) { i, v in
            guard i == 0, case .integers(var ids) = v[0], case .uint8s(var mask) = v[1], case .integers(var segs) = v[2] else { return }
            let end = segs.lastIndex { $0 != 0 }!
            switch damage {
            case "mask-on-prompt": mask[1] = 1
            case "mask-off-eos": mask[ids.firstIndex(of: 2)!] = 0
            case "segment-reused": for k in segs.indices where segs[k] == 2 { segs[k] = 1 }
            case "padding-in-middle": segs[3] = 0; ids[3] = 0; mask[3] = 0
            case "loss-on-padding": mask[end + 1] = 1
            case "token-out-of-vocab": ids[5] = 299 + 1
            default: break
            }
            v = [.integers(ids), .uint8s(mask), .integers(segs)]
        }
        #expect(try verify(t.sub("good")).ok)
        let r = try verify(t.sub("bad"))
        #expect(!r.ok)
        #expect(r.problems.first?.contains("sample 0") == true, "\(r.problems)")
    }

    @Test func tamperedFileFailsItsHash() throws {
        let t = TempDir(); defer { t.cleanup() }
        try packSFTDir(t.path, randomDialogues(30, seed: 9, maxWords: 10))
        var b = readBytes(t.sub("shard.00000.mds"))
        b[b.count - 3] ^= 1
        writeBytes(b, t.sub("shard.00000.mds"))
        let r = try verify(t.path)
        #expect(!r.ok && r.problems[0].contains("sha256"))
    }

    @Test func statsMustMatch() throws {
        let t = TempDir(); defer { t.cleanup() }
        try packSFTDir(t.path, randomDialogues(30, seed: 9, maxWords: 10))
        let text = String(decoding: readBytes(t.sub("index.json")), as: UTF8.self)
        let r0 = try MDSReader(directory: t.path)
        let loss = ShardMetadata.from_(r0).stats["loss_tokens"]!.intValue!
        writeBytes(Array(text.replacingOccurrences(of: "\"loss_tokens\": \(loss)", with: "\"loss_tokens\": \(loss + 1)").utf8), t.sub("index.json"))
        let r = try verify(t.path)
        #expect(!r.ok && r.problems.contains { $0.contains("loss_tokens") })
    }

    @Test func preferenceAndPretrainVerify() throws {
        let t = TempDir(); defer { t.cleanup() }
        let e = FakeEncoder()
        let sink = try ShardSink(kind: .preference, encoder: e, options: sinkOptions(t.sub("pref"), seqLen: 4096))
        let p = PreferencePacker(sink: sink, encoder: e)
        for x in PreferencePackerTests.pairs(30, safety: 10, seed: 1) { try p.add(x) }
        try p.finish()
        #expect(try verify(t.sub("pref")).ok)
        try rewrite(t.sub("pref"), t.sub("pref-bad")) { i, v in if i == 3 { v[4] = .integer(1) } }  // prompt_len
        #expect(try !verify(t.sub("pref-bad")).ok)

        let psink = try ShardSink(kind: .pretrain, encoder: e, options: sinkOptions(t.sub("pre"), seqLen: 64))
        let pp = PretrainPacker(sink: psink, encoder: e)
        var rng = TestRNG(1)
        for _ in 0..<50 { try pp.add(text: words(&rng, 1 + rng.int(40))) }
        try pp.finish()
        #expect(try verify(t.sub("pre")).ok)
        try rewrite(t.sub("pre"), t.sub("pre-bad")) { i, v in
            guard i == 1, case .integers(var ids) = v[0], case .integers(let segs) = v[1] else { return }
            if let k = segs.indices.dropFirst().first(where: { segs[$0] != segs[$0 - 1] && segs[$0] != 0 }) { ids[k - 1] = 50 }  // drop a </s>
            v[0] = .integers(ids)
        }
        #expect(try !verify(t.sub("pre-bad")).ok)
    }
}

extension ShardMetadata {
    static func from_(_ r: MDSReader) -> ShardMetadata { try! ShardMetadata.from(r.index.extra["spindle"], path: "index.json") }
}

@Suite("Inspect")
struct InspectTests {
    @Test func countsAndDecode() throws {
        let t = TempDir(); defer { t.cleanup() }
        let d = Dialogue(id: "a", messages: [.init(.system, "S"), .init(.user, "hi"), .init(.assistant, "hello"),
                                             .init(.user, "bye"), .init(.assistant, "ciao")])
        try packSFTDir(t.path, [d] + randomDialogues(20, seed: 1, maxWords: 8))
        let ds = try ShardDataset(directory: t.path)
        let ins = try ShardInspector.inspect(ds)
        #expect(ins.examples == 21)
        #expect(ins.tokens == Int(ds.metadata.stats["tokens"]!.intValue!))
        #expect(ins.lossTokens == Int(ds.metadata.stats["loss_tokens"]!.intValue!))
        #expect(ins.lengthHistogram.reduce(0) { $0 + $1.count } == 21)
        #expect(ins.fillRatio > 0 && ins.fillRatio <= 1)
        #expect(ins.text.contains("fill ratio"))
        let json = ins.json.pythonDumps()
        #expect(json.contains("\"loss_coverage\""))
        // The example with a system prompt, decoded with trained spans marked.
        var found = false
        for i in 0..<ds.count {
            let s = try ShardInspector.decode(ds, sample: i, encoder: FakeEncoder())
            if s.contains("<s> [INST] <<SYS>>\nS\n<</SYS>>\n\nhi [/INST]⟦ hello </s>⟧<s> [INST] bye [/INST]⟦ ciao </s>⟧") { found = true }
        }
        #expect(found)
    }

    @Test func preferenceDistributions() throws {
        let t = TempDir(); defer { t.cleanup() }
        let e = FakeEncoder()
        let sink = try ShardSink(kind: .preference, encoder: e, options: sinkOptions(t.path, seqLen: 4096))
        let p = PreferencePacker(sink: sink, encoder: e)
        let pairs = PreferencePackerTests.pairs(50, safety: 20, seed: 3)
        for x in pairs { try p.add(x) }
        try p.finish()
        let ins = try ShardInspector.inspect(try ShardDataset(directory: t.path))
        #expect(ins.aspects == ["safety": 20, "helpfulness": 30])
        #expect(ins.safety["none"] == 30)
        #expect(ins.degrees.values.reduce(0, +) == 50)
        let text = try ShardInspector.decode(try ShardDataset(directory: t.path), sample: 0, encoder: e)
        #expect(text.contains("[chosen]") && text.contains("[rejected]"))
    }
}

@Suite("Shard directory fuzz")
struct ShardDirectoryFuzzTests {
    /// Random damage to index.json (including the "spindle" object) and to shard bytes: opening,
    /// reading, inspecting and verifying give typed errors or reports, never a crash.
    @Test func damagedDirectoriesNeverCrash() throws {
        let t = TempDir(); defer { t.cleanup() }
        try packSFTDir(t.path, randomDialogues(20, seed: 3, maxWords: 8), seqLen: 256)
        let index = readBytes(t.sub("index.json")), shard = readBytes(t.sub("shard.00000.mds"))
        var rng = TestRNG(99)
        let alphabet = Array("{}[]\",:0123456789-.enulltrue\\ abcdefghijklmnopqrstuvwxyz_".utf8)
        for round in 0..<120 {
            var i = index, s = shard
            if round % 2 == 0 {
                for _ in 0..<(1 + rng.int(3)) { i[rng.int(i.count)] = alphabet[rng.int(alphabet.count)] }
            } else {
                for _ in 0..<(1 + rng.int(3)) { s[rng.int(s.count)] ^= UInt8(1 + rng.int(255)) }
            }
            writeBytes(i, t.sub("index.json"))
            writeBytes(s, t.sub("shard.00000.mds"))
            guard let ds = try? ShardDataset(directory: t.path) else { continue }
            _ = try? ShardInspector.inspect(ds)
            for k in 0..<ds.count { _ = try? ShardInspector.decode(ds, sample: k, encoder: FakeEncoder()) }
            let report = ShardVerifier(dataset: ds, tokenizer: FakeEncoder()).run()
            if s != shard { #expect(!report.ok, "round \(round): damaged shard passed verification") }
        }
    }
}

@Suite("Foreign MDS directories")
struct ForeignMDSTests {
    /// An MDS directory written without Spindle metadata (as streaming's MDSWriter writes) opens as
    /// MDS and is described, but is refused as Spindle shards with a message that says why.
    @Test func describedButNotTrusted() throws {
        let t = TempDir(); defer { t.cleanup() }
        try MDSFormatTests().writeGolden(t.path)
        #expect(throws: ShardError.notSpindleShards(path: t.sub("index.json"))) { try ShardDataset(directory: t.path) }
        let d = ShardInspector.describe(try MDSReader(directory: t.path))
        #expect(d.text.contains("3 samples") && d.text.contains("input_ids (ndarray:uint16:8)"))
        #expect(ShardVerifier.verifyMDS(try MDSReader(directory: t.path)).ok)
        var b = readBytes(t.sub("shard.00001.mds"))
        b[b.count - 1] ^= 1
        writeBytes(b, t.sub("shard.00001.mds"))
        let r = ShardVerifier.verifyMDS(try MDSReader(directory: t.path))
        #expect(!r.ok && r.samples == 2)
    }
}
