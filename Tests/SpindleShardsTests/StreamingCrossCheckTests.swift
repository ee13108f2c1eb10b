import Foundation
import Testing
import SpindleIO
@testable import SpindleShards
import SpindleTestSupport

/// Cross-checks against PyPI's mosaicml-streaming, run through `bench/shards_mds.py` with the Python
/// that `.ci/python-env` sets up (SPINDLE_PYTHON). Skipped when that Python cannot import streaming.
@Suite("Streaming cross-check", .requires(.python("streaming", "numpy")))
struct StreamingCrossCheckTests {
    static let script = TestPaths.packageRoot + "/bench/shards_mds.py"

    /// Every sample of each directory as streaming (or numpy) decodes it: column -> JSON value.
    /// One Python process for all directories (importing streaming costs seconds).
    func pythonSamples(_ mode: String, _ dirs: [String]) throws -> [String: [[String: JSONValue]]] {
        let r = try Python.run([Self.script, mode] + dirs)
        #expect(r.status == 0, "\(r.stderr.suffix(2000))")
        var out: [String: [[String: JSONValue]]] = [:]
        var current = ""
        for line in r.stdout.split(separator: "\n") {
            let o = try JSONValue.parse(Array(line.utf8)).objectValue!
            if o.count == 1, let d = o["directory"]?.stringValue { current = d; out[d] = []; continue }
            out[current]!.append(o)
        }
        return out
    }

    /// Our reader's view of sample `i`, in the same JSON shape the script prints.
    func ourSample(_ r: MDSReader, _ i: Int) throws -> [String: JSONValue] {
        let s = try r.sample(i)
        var out: [String: JSONValue] = [:]
        for (name, enc) in zip(r.columns.names, r.columns.encodings) {
            switch enc {
            case .ndarray(let dtype, _):
                let v = try s.int32s(name)
                out[name] = .object(["dtype": .string(dtype!.rawValue), "shape": .array([.int(Int64(v.count))]),
                                     "values": .array(v.map { .int(Int64($0)) })])
            case .str: out[name] = .string(try s.string(name))
            default: out[name] = .int(try s.integer(name))
            }
        }
        return out
    }

    /// SFT rows, zstd-compressed pretrain rows (two hashes) and preference pairs, as written by Spindle,
    /// read back by StreamingDataset and by plain numpy: the same samples as Spindle's reader gives.
    @Test func everyKindReadsTheSame() throws {
        let t = TempDir(); defer { t.cleanup() }
        let e = FakeEncoder()
        try packSFTDir(t.sub("sft"), randomDialogues(80, seed: 12, maxWords: 20))
        var o = sinkOptions(t.sub("pretrain"), seqLen: 256, sizeLimit: 5000)
        o.compression = ShardCompression()
        o.hashes = [.sha256, .xxh64]
        let p = PretrainPacker(sink: try ShardSink(kind: .pretrain, encoder: e, options: o), encoder: e)
        var rng = TestRNG(5)
        for _ in 0..<80 { try p.add(text: words(&rng, 1 + rng.int(50))) }
        try p.finish()
        let q = PreferencePacker(sink: try ShardSink(kind: .preference, encoder: e, options: sinkOptions(t.sub("pref"), seqLen: 4096, sizeLimit: 3000)), encoder: e)
        for x in PreferencePackerTests.pairs(40, safety: 15, seed: 8) { try q.add(x) }
        try q.finish()
        let dirs = ["sft", "pretrain", "pref"].map { t.sub($0) }
        var ours: [String: [[String: JSONValue]]] = [:]
        for d in dirs {
            let r = try MDSReader(directory: d)
            #expect(r.index.shards.count > 1, "\(d) should span several shards")
            ours[d] = try (0..<r.count).map { try ourSample(r, $0) }
        }
        for mode in ["numpy", "dump"] {  // numpy first: streaming leaves decompressed copies of .zstd shards behind
            let theirs = try pythonSamples(mode, dirs)
            for d in dirs {
                #expect(theirs[d]?.count == ours[d]!.count, "\(mode) \(d)")
                for (i, (a, b)) in zip(ours[d]!, theirs[d] ?? []).enumerated() where a != b {
                    Issue.record("\(mode): \(d) sample \(i) differs")
                    break
                }
            }
        }
    }

    /// streaming's own MDSWriter, given our samples, writes the same shard bytes and the same index
    /// (apart from our top-level "spindle" object).
    @Test func streamingWriterProducesOurBytes() throws {
        let t = TempDir(); defer { t.cleanup() }
        try packSFTDir(t.sub("ours"), randomDialogues(60, seed: 13, maxWords: 20))
        let r = try MDSReader(directory: t.sub("ours"))
        var samples: [JSONValue] = []
        for i in 0..<r.count {
            samples.append(.object(try ourSample(r, i).mapValues { v in v["values"] ?? v }))
        }
        let spec = JSONValue.object([
            "columns": .object(r.columns.dictionary.mapValues { .string($0.description) }),
            "samples": .array(samples), "size_limit": .int(Int64(r.index.shards[0].sizeLimit!)),
            "hashes": .array([.string("sha256")]),
        ])
        writeBytes(Array(spec.pythonDumps().utf8), t.sub("spec.json"))
        let w = try Python.run([Self.script, "write", t.sub("theirs"), t.sub("spec.json")])
        #expect(w.status == 0, "\(w.stderr.suffix(2000))")
        var ourIndex = r.index
        ourIndex.extra = [:]
        #expect(String(decoding: readBytes(t.sub("theirs/index.json")), as: UTF8.self) == ourIndex.dumps())
        for s in r.index.shards {
            #expect(readBytes(t.sub("theirs/\(s.rawData.basename)")) == readBytes(t.sub("ours/\(s.rawData.basename)")))
        }
    }
}

/// index.json of every kind validates against schemas/shards-index.schema.json (Python jsonschema).
@Suite("Index schema", .requires(.python("jsonschema")))
struct IndexSchemaTests {
    @Test func everyKindValidates() throws {
        let t = TempDir(); defer { t.cleanup() }
        let e = FakeEncoder()
        try packSFTDir(t.sub("sft"), randomDialogues(10, seed: 1, maxWords: 5))
        var o = sinkOptions(t.sub("pre"), seqLen: 64)
        o.compression = ShardCompression(level: 9)
        o.hashes = [.sha256, .xxh64]
        let pp = PretrainPacker(sink: try ShardSink(kind: .pretrain, encoder: e, options: o), encoder: e)
        try pp.add(text: "hello world")
        try pp.finish()
        let p = PreferencePacker(sink: try ShardSink(kind: .preference, encoder: e, options: sinkOptions(t.sub("pref"), seqLen: 4096)), encoder: e)
        for x in PreferencePackerTests.pairs(5, safety: 2, seed: 1) { try p.add(x) }
        try p.finish()
        let q = PromptPacker(sink: try ShardSink(kind: .prompts, encoder: e, options: sinkOptions(t.sub("prompts"), seqLen: 4096)), encoder: e)
        try q.add(id: "a", prompt: [.init(.user, "hi")], aspect: nil)
        try q.finish()
        let script = """
        import json, sys, jsonschema
        schema = json.load(open(sys.argv[1]))
        for path in sys.argv[2:]:
            jsonschema.validate(json.load(open(path)), schema)
        print("ok")
        """
        let r = try Python.script(script, args: [TestPaths.package("schemas/shards-index.schema.json")]
                                  + ["sft", "pre", "pref", "prompts"].map { t.sub("\($0)/index.json") })
        #expect(r.status == 0 && r.stdout.contains("ok"), "\(r.stderr.suffix(1500))")
    }
}
