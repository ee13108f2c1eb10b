// Training reads only verified data (issue 12 item 8): `spindle train pretrain` checks each shard's
// hashes as the shard is loaded and every shard file's size when the data set is opened; a damaged
// shard stops the run with exit 65 naming the file and the field, before any of its rows is used.
import Foundation
import Testing
import SpindleIO
@testable import SpindleShards
import SpindleTestSupport

@Suite("Training reads verified shards", .requires(.spindleBinary))
struct TrainVerifiedShardsTests {
    static let config = TinyTrainConfig(steps: 24).json

    /// Pretrain shards of the fake byte tokenizer: ~40 rows of 64 tokens in several shard files.
    func packShards(_ dir: String) throws {
        let e = FakeEncoder()
        let sink = try ShardSink(kind: .pretrain, encoder: e, options: sinkOptions(dir, seqLen: 64, sizeLimit: 4000))
        let p = PretrainPacker(sink: sink, encoder: e, options: PretrainPacker.Options())
        var rng = TestRNG(8)
        for i in 0..<60 { try p.add(text: words(&rng, 3 + rng.int(30)), id: "doc\(i)") }
        _ = try p.finish()
    }

    func train(_ t: TempDir, _ shards: String, _ out: String) throws -> ProcessResult {
        writeBytes(Array(Self.config.utf8), t.sub("c.json"))
        return try SpindleBinary.run(["train", "pretrain", "--config", t.sub("c.json"), "--train-data", shards, "--output", out])
    }

    @Test func flippedByteStopsTrainingWithExit65() throws {
        let t = TempDir(); defer { t.cleanup() }
        try packShards(t.sub("shards"))
        let shards = ShardFiles.list(t.sub("shards")).filter { $0.hasSuffix(".mds") }.sorted()
        #expect(shards.count >= 3)
        let good = try train(t, t.sub("shards"), t.sub("good"))
        #expect(good.status == 0, "\(good.stderr)")
        // A flip in the middle of the second shard's payload (rows, not the header).
        let victim = t.sub("shards/" + shards[1])
        var b = readBytes(victim)
        b[b.count / 2] ^= 0x01
        writeBytes(b, victim)
        let bad = try train(t, t.sub("shards"), t.sub("bad"))
        #expect(bad.status == 65, "\(bad.stderr)")
        #expect(bad.stderr.contains(shards[1] + ": raw_data.hashes.sha256:"), "\(bad.stderr)")
        #expect(!FileManager.default.fileExists(atPath: t.sub("bad/checkpoint/model.safetensors")))
    }

    @Test func truncatedShardIsRefusedBeforeTraining() throws {
        let t = TempDir(); defer { t.cleanup() }
        try packShards(t.sub("shards"))
        let last = ShardFiles.list(t.sub("shards")).filter { $0.hasSuffix(".mds") }.sorted().last!
        let b = readBytes(t.sub("shards/" + last))
        writeBytes(Array(b.dropLast(100)), t.sub("shards/" + last))
        let p = try train(t, t.sub("shards"), t.sub("out"))
        #expect(p.status == 65, "\(p.stderr)")
        #expect(p.stderr.contains(last) && p.stderr.contains("raw_data.bytes"), "\(p.stderr)")
        #expect(!p.stderr.contains("step 1"), "\(p.stderr)")
    }

    /// Shards without hashes train exactly as hashed ones, with one warning saying they are unchecked.
    @Test func unhashedShardsTrainWithOneWarning() throws {
        let t = TempDir(); defer { t.cleanup() }
        try packShards(t.sub("hashed"))
        try packShards(t.sub("bare"))
        try editIndex(t.sub("bare")) { index in
            for i in index.shards.indices { index.shards[i].rawData.hashes = [:]; index.shards[i].hashes = [] }
        }
        let a = try train(t, t.sub("hashed"), t.sub("a"))
        let b = try train(t, t.sub("bare"), t.sub("b"))
        #expect(a.status == 0 && b.status == 0, "\(a.stderr)\n\(b.stderr)")
        #expect(!a.stderr.contains("warning"))
        #expect(b.stderr.components(separatedBy: "have no sha256 or xxh64 hash").count == 2, "\(b.stderr)")
        #expect(readBytes(t.sub("a/checkpoint/model.safetensors")) == readBytes(t.sub("b/checkpoint/model.safetensors")))
    }
}
