import Foundation
import Testing
import SpindleIO
@testable import SpindleShards

/// Black-box tests of the built `spindle` binary (`.build/debug/spindle`) on the demo corpus with the
/// Llama 2 tokenizer. Skipped when either is absent.
enum CLI {
    static let binary = Paths.packageRoot + "/.build/debug/spindle"
    static var available: Bool {
        FileManager.default.isExecutableFile(atPath: binary) && RealData.available
            && FileManager.default.fileExists(atPath: Paths.packageRoot + "/corpora/sft/dialogues.jsonl")
    }
    static func spindle(_ args: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        try run(binary, args)
    }
}

@Suite("pack and shards commands", .enabled(if: CLI.available, "no built spindle, demo corpus or Llama 2 tokenizer"))
struct PackCLITests {
    let sft = Paths.packageRoot + "/corpora/sft/dialogues.jsonl"
    let pairs = Paths.packageRoot + "/corpora/preference/pairs.jsonl"
    let tok = RealData.tokenizerPath

    @Test func sftPackVerifyInspect() throws {
        let t = TempDir(); defer { t.cleanup() }
        let p = try CLI.spindle(["pack", "sft", "--tokenizer", tok, "-o", t.sub("sft"), "--seq-len", "1024", sft])
        #expect(p.status == 0, "\(p.stderr)")
        #expect(p.stderr.contains("60 dialogues") && p.stderr.contains("fill"))
        #expect(FileManager.default.fileExists(atPath: t.sub("sft/manifest.json")))
        let v = try CLI.spindle(["shards", "verify", t.sub("sft"), "--tokenizer", tok])
        #expect(v.status == 0 && v.stdout.hasPrefix("ok:"), "\(v.stdout) \(v.stderr)")
        let i = try CLI.spindle(["shards", "inspect", t.sub("sft"), "--tokenizer", tok, "--json", "--decode", "1"])
        #expect(i.status == 0)
        let j = try JSONValue.parse(Array(i.stdout.utf8))
        #expect(j["kind"]?.stringValue == "sft" && j["examples"]?.intValue == 60)
        #expect(j["decoded"]?.arrayValue?.first?.stringValue?.contains("⟧") == true)
        // Same input, options and seed: byte-identical shards.
        _ = try CLI.spindle(["pack", "sft", "--tokenizer", tok, "-o", t.sub("again"), "--seq-len", "1024", sft])
        #expect(readBytes(t.sub("sft/shard.00000.mds")) == readBytes(t.sub("again/shard.00000.mds")))
        #expect(readBytes(t.sub("sft/index.json")) == readBytes(t.sub("again/index.json")))
        // Whatever the thread count.
        _ = try CLI.spindle(["pack", "sft", "--tokenizer", tok, "-o", t.sub("one"), "--seq-len", "1024", "--threads", "1", sft])
        #expect(readBytes(t.sub("sft/index.json")) == readBytes(t.sub("one/index.json")))
    }

    @Test func sftPromptsForRejectionSampling() throws {
        let t = TempDir(); defer { t.cleanup() }
        let p = try CLI.spindle(["pack", "sft", "--tokenizer", tok, "-o", t.sub("p"), "--prompts-only", sft])
        #expect(p.status == 0, "\(p.stderr)")
        let ds = try ShardDataset(directory: t.sub("p"), kind: .prompts)
        #expect(ds.count > 50 && ds.count <= 60)
        #expect(try CLI.spindle(["shards", "verify", t.sub("p"), "--tokenizer", tok]).status == 0)
    }

    @Test func exitCodes() throws {
        let t = TempDir(); defer { t.cleanup() }
        _ = try CLI.spindle(["pack", "sft", "--tokenizer", tok, "-o", t.sub("sft"), sft])
        // An existing shard directory is refused without --overwrite (74), accepted with it.
        #expect(try CLI.spindle(["pack", "sft", "--tokenizer", tok, "-o", t.sub("sft"), sft]).status == 74)
        #expect(try CLI.spindle(["pack", "sft", "--tokenizer", tok, "-o", t.sub("sft"), "--overwrite", sft]).status == 0)
        // Corrupted shard: verify exits 65 and names the hash.
        var b = readBytes(t.sub("sft/shard.00000.mds"))
        b[b.count / 2] ^= 0xFF
        writeBytes(b, t.sub("sft/shard.00000.mds"))
        let v = try CLI.spindle(["shards", "verify", t.sub("sft")])
        #expect(v.status == 65 && v.stdout.contains("sha256"))
        // Not a shard directory: 66. Bad records: 65 with file and line.
        #expect(try CLI.spindle(["shards", "inspect", t.path]).status == 66)
        writeBytes(Array("{\"id\": \"x\", \"messages\": [{\"role\": \"assistant\", \"content\": \"hi\"}]}\n".utf8), t.sub("bad.jsonl"))
        let bad = try CLI.spindle(["pack", "sft", "--tokenizer", tok, "-o", t.sub("bad"), t.sub("bad.jsonl")])
        #expect(bad.status == 65 && bad.stderr.contains("bad.jsonl:1"), "\(bad.stderr)")
    }

    @Test func preferenceMixesAndPrompts() throws {
        let t = TempDir(); defer { t.cleanup() }
        for mix in ["all", "helpfulness", "safety"] {
            let p = try CLI.spindle(["pack", "preference", "--tokenizer", tok, "-o", t.sub(mix), "--mix", mix, pairs])
            #expect(p.status == 0, "\(p.stderr)")
            #expect(try CLI.spindle(["shards", "verify", t.sub(mix), "--tokenizer", tok]).status == 0)
        }
        let ds = try ShardDataset(directory: t.sub("safety"), kind: .preference)
        let ins = try ShardInspector.inspect(ds)
        #expect(ins.aspects["safety"] == 35 && ins.aspects["helpfulness"] == 4)  // 35 / 9 rounded
        let help = try ShardInspector.inspect(try ShardDataset(directory: t.sub("helpfulness")))
        #expect(help.aspects["helpfulness"] == 46 && help.aspects["safety"] == 35)  // all safety pairs: fewer than 46
        let q = try CLI.spindle(["pack", "preference", "--tokenizer", tok, "-o", t.sub("prompts"), "--prompts-only", pairs])
        #expect(q.status == 0)
        #expect(try ShardDataset(directory: t.sub("prompts"), kind: .prompts).count <= 81)
    }

    @Test func pretrainFromIngestedDocuments() throws {
        let t = TempDir(); defer { t.cleanup() }
        let docs = Paths.packageRoot + "/corpora/web/pages.jsonl"
        let p = try CLI.spindle(["pack", "pretrain", "--tokenizer", tok, "-o", t.sub("pre"), "--seq-len", "512",
                                 "--compression", "zstd", "--hashes", "sha256,xxh64", docs])
        #expect(p.status == 0, "\(p.stderr)")
        #expect(FileManager.default.fileExists(atPath: t.sub("pre/shard.00000.mds.zstd")))
        #expect(try CLI.spindle(["shards", "verify", t.sub("pre"), "--tokenizer", tok]).status == 0)
        let cfg = try CLI.spindle(["pack", "pretrain", "--tokenizer", tok, "-o", t.sub("x"), "--print-config"])
        #expect(cfg.status == 0 && cfg.stdout.contains("\"shuffle_buffer\""))
    }
}
