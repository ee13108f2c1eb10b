// The small real samples StdinParityTests feeds every command, cut from ../shared/data into a
// temporary directory, plus what some commands need beside their input (a tokenizer, a classifier,
// a checkpoint), made with spindle itself.
import Foundation
import Testing
import SpindleTestSupport

struct StdinFixtures {
    let dir: TempDir
    var path: String { dir.path }
    func at(_ name: String) -> String { dir.sub(name) }

    /// Every file the samples are cut from.
    static var requirement: Requirement {
        let missing = requirements.filter { !$0.isMet }
        return Requirement(missing.isEmpty, missing.map(\.reason).joined(separator: "; "))
    }
    static let requirements: [Requirement] = [
        .sharedData("pretrain/en/c4_demo.jsonl"), .sharedData("pretrain/en/wiki_demo.txt"),
        .sharedData("wiki/enwiki-pages-articles-shortened.xml.gz"), .sharedData("html/trafilatura/pages/blog.python.org.html"),
        .sharedData("sft/alpaca_en_demo.json"), .sharedData("sft/chat/fastchat_dummy_conversation.json"),
        .sharedData("preference/dpo_en_demo.json"), .sharedData("preference/hh-rlhf/harmless-base-part-a.jsonl.gz"),
        .sharedData("eval/arc_easy.jsonl.gz"), .llama2Tokenizer,
    ]

    /// Builds every sample; fails the test (through `#require`) when a preparation step fails.
    init() throws {
        dir = TempDir("stdin-parity")
        let data = SharedData.path
        // Documents: 60 c4 pages, 6 of them again verbatim and 6 with one word changed (dedup has work).
        let c4 = try Self.lines(data("pretrain/en/c4_demo.jsonl"), count: 60)
        var docs = c4
        for (i, line) in c4.prefix(12).enumerated() {
            var obj = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            if i >= 6, let text = obj["text"] as? String { obj["text"] = text + " Indeed." }
            docs.append(try Self.json(obj))
        }
        try write("raw.jsonl", docs)
        try spindle(["ingest", "--format", "jsonl", "--source", "web", at("raw.jsonl"), "-o", at("docs.jsonl")])
        // Plain text: 400 lines of Wikipedia (one document per blank-line block for the classifier).
        try write("text.txt", try Self.lines(data("pretrain/en/wiki_demo.txt"), count: 400).map { $0 + "\n" })
        try spindle(["ingest", "--format", "text", "--blocks", "--source", "wiki", at("text.txt"), "-o", at("wiki.jsonl")])
        try runProcess("gzip", ["-dc", data("wiki/enwiki-pages-articles-shortened.xml.gz")]).stdoutData.write(to: URL(fileURLWithPath: at("dump.xml")))
        try FileManager.default.copyItem(atPath: data("html/trafilatura/pages/blog.python.org.html"), toPath: at("page.html"))
        // Conversion inputs: JSON arrays as released, and the same records as JSONL.
        let alpaca = try Self.array(data("sft/alpaca_en_demo.json"), count: 40)
        try write("alpaca.json", [try Self.json(alpaca)])
        try write("alpaca.jsonl", try alpaca.map(Self.json))
        let dolly: [[String: Any]] = alpaca.map { ["instruction": $0["instruction"] ?? "", "context": $0["input"] ?? "", "response": $0["output"] ?? ""] }
        try write("dolly.jsonl", try dolly.map(Self.json))
        try write("messages.json", [try Self.json(try Self.array(data("sft/chat/fastchat_dummy_conversation.json"), count: 30))])
        try write("dpo.json", [try Self.json(try Self.array(data("preference/dpo_en_demo.json"), count: 30))])
        try write("hh.jsonl", try Self.lines(data("preference/hh-rlhf/harmless-base-part-a.jsonl.gz"), count: 30))
        try spindle(["convert", "alpaca", at("alpaca.json"), "-o", at("sft.jsonl")])
        try spindle(["convert", "dpo", at("dpo.json"), "-o", at("pairs.jsonl")])
        try write("arc.jsonl", try Self.lines(data("eval/arc_easy.jsonl.gz"), count: 12))   // eval lm rows
        // Models: the Llama 2 tokenizer, a small one trained here, a classifier, token ids.
        try FileManager.default.copyItem(atPath: SharedData.llama2Model, toPath: at("llama2.model"))
        try spindle(["tokenizer", "train", "--input", at("text.txt"), "--model_prefix", at("tok"), "--vocab_size", "600"])
        try spindle(["classify", "train", "--factual", at("wiki.jsonl"), "--web", at("docs.jsonl"), "-o", at("factual.spcl")])
        let ids = try spindle(["tokenizer", "encode", "--model", at("tok.model"), at("text.txt")]).stdout
        try write("ids.txt", ids.split(separator: "\n").prefix(40).map { $0.split(separator: " ").prefix(30).joined(separator: " ") })
        try write("checkpoint.json", [Self.checkpointConfig])
        try spindle(["train", "pretrain", "--config", at("checkpoint.json"), "--train-data", at("ids.txt"), "--output", at("run")])
        // Every input again zstd-compressed (NAME.zst), for the compressed half of each comparison.
        for name in try FileManager.default.contentsOfDirectory(atPath: path) { try spindle(zstd: name) }
        // Removal lists for `dedup apply`, one per spelling of the input (they name the input's path).
        for (input, list) in [("docs.jsonl", "removals-docs.jsonl.tsv"), ("docs.jsonl.zst", "removals-docs.jsonl.zst.tsv")] {
            try removals(signaturesArgs: [at(input)], stdin: nil, to: list)
        }
        try removals(signaturesArgs: [], stdin: Data(contentsOf: URL(fileURLWithPath: at("docs.jsonl"))), to: "removals-stdin.tsv")
        try spindle(zstd: "signatures.sorted")
        // Edges of the sorted signatures, for `dedup select`.
        try spindle(["dedup", "clusters", "--emit-edges", at("signatures.sorted"), "-o", at("edges.tsv")])
        try spindle(zstd: "edges.tsv")
        // Line keys sorted by key, for `dedup repeats`.
        let keys = try spindle(["dedup", "keys", "--lines", at("docs.jsonl")])
        let sortedKeys = try runProcess("sort", [], stdin: keys.stdoutData, environment: ["LC_ALL": "C"])
        try sortedKeys.stdoutData.write(to: URL(fileURLWithPath: at("keys.sorted")))
        try spindle(zstd: "keys.sorted")
    }

    /// A two-step pretraining run on the small tokenizer's ids: a real checkpoint for `score`.
    static let checkpointConfig = TinyTrainConfig(vocab: 600, seqLen: 32, steps: 2, warmup: 1, checkpointEvery: 2).json

    /// `dedup signatures ARGS | sort | dedup clusters` into the fixture `list`.
    func removals(signaturesArgs: [String], stdin: Data?, to list: String) throws {
        let sigs = try runProcess(SpindleBinary.path, ["dedup", "signatures"] + signaturesArgs, stdin: stdin)
        try #require(sigs.status == 0, "dedup signatures: \(sigs.stderr)")
        let sorted = try runProcess("sort", [], stdin: sigs.stdoutData, environment: ["LC_ALL": "C"])
        try sorted.stdoutData.write(to: URL(fileURLWithPath: at("signatures.sorted")))
        try spindle(["dedup", "clusters", at("signatures.sorted"), "-o", at(list)])
    }

    @discardableResult
    func spindle(_ args: [String]) throws -> ProcessResult {
        let r = try SpindleBinary.run(args)
        try #require(r.status == 0, "fixture step spindle \(args.joined(separator: " ")) exited \(r.status): \(r.stderr.suffix(500))")
        return r
    }

    func spindle(zstd name: String) throws {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: at(name), isDirectory: &isDir), !isDir.boolValue else { return }
        let r = try runProcess("zstd", ["-q", "-f", at(name), "-o", at(name + ".zst")])
        try #require(r.status == 0, "zstd \(name): \(r.stderr)")
    }

    func write(_ name: String, _ lines: [String]) throws {
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: at(name)))
    }

    /// The first `count` lines of a file (gzip read through `gzip -dc`).
    static func lines(_ path: String, count: Int) throws -> [String] {
        let text = path.hasSuffix(".gz") ? try runProcess("gzip", ["-dc", path]).stdout
                                          : try String(contentsOfFile: path, encoding: .utf8)
        return Array(text.split(separator: "\n", omittingEmptySubsequences: true).prefix(count).map(String.init))
    }

    static func array(_ path: String, count: Int) throws -> [[String: Any]] {
        let all = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [[String: Any]]
        return Array(try #require(all).prefix(count))
    }

    static func json(_ value: Any) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self)
    }
}
