import Foundation
import Testing
import SpindleIO
@testable import SpindleShards
import SpindleTestSupport

/// Black-box tests of the freshly built `spindle` binary on the demo corpus with the Llama 2 tokenizer.
@Suite("pack and shards commands", .requires(.spindleBinary, .llama2Tokenizer))
struct PackCLITests {
    let sft = TestPaths.corpora("sft/dialogues.jsonl")
    let pairs = TestPaths.corpora("preference/pairs.jsonl")
    let tok = RealData.tokenizerPath

    @Test func sftPackVerifyInspect() throws {
        let t = TempDir(); defer { t.cleanup() }
        let p = try SpindleBinary.run(["pack", "sft", "--tokenizer", tok, "-o", t.sub("sft"), "--seq-len", "1024", sft])
        #expect(p.status == 0, "\(p.stderr)")
        #expect(p.stderr.contains("60 dialogues") && p.stderr.contains("fill"))
        #expect(FileManager.default.fileExists(atPath: t.sub("sft/manifest.json")))
        let v = try SpindleBinary.run(["shards", "verify", t.sub("sft"), "--tokenizer", tok])
        #expect(v.status == 0 && v.stdout.hasPrefix("ok:"), "\(v.stdout) \(v.stderr)")
        let i = try SpindleBinary.run(["shards", "inspect", t.sub("sft"), "--tokenizer", tok, "--json", "--decode", "1"])
        #expect(i.status == 0)
        let j = try JSONValue.parse(Array(i.stdout.utf8))
        #expect(j["kind"]?.stringValue == "sft" && j["examples"]?.intValue == 60)
        #expect(j["decoded"]?.arrayValue?.first?.stringValue?.contains("⟧") == true)
        // Same input, options and seed: byte-identical shards.
        _ = try SpindleBinary.run(["pack", "sft", "--tokenizer", tok, "-o", t.sub("again"), "--seq-len", "1024", sft])
        #expect(readBytes(t.sub("sft/shard.00000.mds")) == readBytes(t.sub("again/shard.00000.mds")))
        #expect(readBytes(t.sub("sft/index.json")) == readBytes(t.sub("again/index.json")))
        // Whatever the thread count.
        _ = try SpindleBinary.run(["pack", "sft", "--tokenizer", tok, "-o", t.sub("one"), "--seq-len", "1024", "--threads", "1", sft])
        #expect(readBytes(t.sub("sft/index.json")) == readBytes(t.sub("one/index.json")))
    }

    @Test func sftPromptsForRejectionSampling() throws {
        let t = TempDir(); defer { t.cleanup() }
        let p = try SpindleBinary.run(["pack", "sft", "--tokenizer", tok, "-o", t.sub("p"), "--prompts-only", sft])
        #expect(p.status == 0, "\(p.stderr)")
        let ds = try ShardDataset(directory: t.sub("p"), kind: .prompts)
        #expect(ds.count > 50 && ds.count <= 60)
        #expect(try SpindleBinary.run(["shards", "verify", t.sub("p"), "--tokenizer", tok]).status == 0)
    }

    @Test func exitCodes() throws {
        let t = TempDir(); defer { t.cleanup() }
        _ = try SpindleBinary.run(["pack", "sft", "--tokenizer", tok, "-o", t.sub("sft"), sft])
        // An existing shard directory is refused without --overwrite (64, before any work), accepted with it.
        #expect(try SpindleBinary.run(["pack", "sft", "--tokenizer", tok, "-o", t.sub("sft"), sft]).status == 64)
        #expect(try SpindleBinary.run(["pack", "sft", "--tokenizer", tok, "-o", t.sub("sft"), "--overwrite", sft]).status == 0)
        // Corrupted shard: verify exits 65 and names the hash.
        var b = readBytes(t.sub("sft/shard.00000.mds"))
        b[b.count / 2] ^= 0xFF
        writeBytes(b, t.sub("sft/shard.00000.mds"))
        let v = try SpindleBinary.run(["shards", "verify", t.sub("sft")])
        #expect(v.status == 65 && v.stdout.contains("sha256"))
        // Not a shard directory: 66. Bad records: 65 with file and line.
        #expect(try SpindleBinary.run(["shards", "inspect", t.path]).status == 66)
        writeBytes(Array("{\"id\": \"x\", \"messages\": [{\"role\": \"assistant\", \"content\": \"hi\"}]}\n".utf8), t.sub("bad.jsonl"))
        let bad = try SpindleBinary.run(["pack", "sft", "--tokenizer", tok, "-o", t.sub("bad"), t.sub("bad.jsonl")])
        #expect(bad.status == 65 && bad.stderr.contains("bad.jsonl:1"), "\(bad.stderr)")
    }

    @Test func preferenceMixesAndPrompts() throws {
        let t = TempDir(); defer { t.cleanup() }
        for mix in ["all", "helpfulness", "safety"] {
            let p = try SpindleBinary.run(["pack", "preference", "--tokenizer", tok, "-o", t.sub(mix), "--mix", mix, pairs])
            #expect(p.status == 0, "\(p.stderr)")
            #expect(try SpindleBinary.run(["shards", "verify", t.sub(mix), "--tokenizer", tok]).status == 0)
        }
        let ds = try ShardDataset(directory: t.sub("safety"), kind: .preference)
        let ins = try ShardInspector.inspect(ds)
        #expect(ins.aspects["safety"] == 35 && ins.aspects["helpfulness"] == 4)  // 35 / 9 rounded
        let help = try ShardInspector.inspect(try ShardDataset(directory: t.sub("helpfulness")))
        #expect(help.aspects["helpfulness"] == 46 && help.aspects["safety"] == 35)  // all safety pairs: fewer than 46
        let q = try SpindleBinary.run(["pack", "preference", "--tokenizer", tok, "-o", t.sub("prompts"), "--prompts-only", pairs])
        #expect(q.status == 0)
        #expect(try ShardDataset(directory: t.sub("prompts"), kind: .prompts).count <= 81)
    }

    @Test func pretrainFromIngestedDocuments() throws {
        let t = TempDir(); defer { t.cleanup() }
        let docs = TestPaths.corpora("web/pages.jsonl")
        let p = try SpindleBinary.run(["pack", "pretrain", "--tokenizer", tok, "-o", t.sub("pre"), "--seq-len", "512",
                                 "--compression", "zstd", "--hashes", "sha256,xxh64", docs])
        #expect(p.status == 0, "\(p.stderr)")
        #expect(FileManager.default.fileExists(atPath: t.sub("pre/shard.00000.mds.zstd")))
        #expect(try SpindleBinary.run(["shards", "verify", t.sub("pre"), "--tokenizer", tok]).status == 0)
        let cfg = try SpindleBinary.run(["pack", "pretrain", "--tokenizer", tok, "-o", t.sub("x"), "--print-config"])
        #expect(cfg.status == 0 && cfg.stdout.contains("\"shuffle_buffer\""))
    }
}
