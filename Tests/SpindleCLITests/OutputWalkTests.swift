import Foundation
import Testing
import SpindleTestSupport

/// The walk over every command, for outputs: each option that names a file (or directory) a command
/// writes is given one that exists, with the walk's missing input. The run must be refused with 64
/// before it reads anything (not 66), leaving the file byte-identical; with --overwrite the refusal
/// goes. Every command the walk finds is listed here, as writing named outputs or not.
extension CLIWalkTests {
    /// Extra arguments (OUT: the run's temporary directory) and the existing output they name; a path
    /// ending in "/" is a non-empty directory.
    struct NamedOutput: Sendable {
        var extra: [String]
        var existing: String
        init(_ extra: [String], _ existing: String? = nil) {
            self.extra = extra
            self.existing = existing ?? extra.last!
        }
    }

    static let outputs: [String: [NamedOutput]] = {
        func o(_ flag: String) -> NamedOutput { NamedOutput([flag, "OUT/f"]) }
        let rejects = NamedOutput(["--on-error", "skip", "--rejects", "OUT/rejects.jsonl"])
        return [
            "ingest": [o("-o"), rejects],
            "convert": [o("--output"), rejects],
            "validate": [rejects],
            "tokenizer train": [NamedOutput([], "OUT/tok.model"), NamedOutput([], "OUT/tok.vocab")],
            "tokenizer merge": [NamedOutput([], "OUT/merged.model"), NamedOutput([], "OUT/merged.vocab")],
            "dedup run": [o("-o"), o("--report"), rejects],
            "dedup signatures": [o("-o"), rejects],
            "dedup clusters": [o("-o")],
            "dedup select": [o("-o")],
            "dedup apply": [o("-o")],
            "dedup keys": [o("-o"), rejects],
            "dedup repeats": [o("-o")],
            "pii": [o("-o"), o("--report"), rejects],
            "upsample": [o("-o"), o("--report"), o("--round-records"), rejects],
            "classify train": [NamedOutput([], "OUT/f.spcl"), o("--report")],
            "classify score": [o("-o"), rejects],
            "pack pretrain": [NamedOutput([], "OUT/shards/"), rejects],
            "pack sft": [NamedOutput([], "OUT/shards/"), rejects],
            "pack preference": [NamedOutput([], "OUT/shards/"), rejects],
            "eval lm": [o("--output"), o("--html"), o("--samples")],
            "eval ppl": [o("-o"), NamedOutput(["--by-position", "--svg", "OUT/f"])],
            "eval rm": [o("--scores")],
            "eval report": [NamedOutput([], "OUT/table.html")],
            "eval winrate": [o("-o"), o("--html")],
            "report": [o("-o")],
        ]
    }()

    /// Commands that name no output file: they write to stdout, or append (serve --annotate).
    static let noNamedOutput: Set = ["tokenizer encode", "tokenizer decode", "tokenizer info", "tokenizer explain",
                                     "shards inspect", "shards verify", "generate", "serve", "score",
                                     "bench sgemm", "bench tokenizer"]
    /// Run and checkpoint directories, refused when they hold a run (their own tests check them).
    static let runDirectories: Set = ["train pretrain", "train sft", "train rm", "train rejection", "train ppo",
                                      "train dpo", "model resize", "lora merge"]

    @Test func everyNamedOutputIsRefusedUnlessOverwrite() throws {
        let listed = Set(try Self.leaves().map { $0.joined(separator: " ") })
        let covered = Set(Self.outputs.keys).union(Self.noNamedOutput).union(Self.runDirectories)
        #expect(listed == covered, "not in the output walk: \(listed.subtracting(covered).sorted()); stale: \(covered.subtracting(listed).sorted())")
        let old = Array("kept\n".utf8)
        for (command, cases) in Self.outputs.sorted(by: { $0.key < $1.key }) {
            guard let template = Self.runs[command] else { continue }
            for c in cases {
                let dir = TempDir("out-walk")
                defer { dir.cleanup() }
                let fill = { (s: String) in s.replacingOccurrences(of: "OUT", with: dir.path) }
                let existing = fill(c.existing)
                let args = command.split(separator: " ").map(String.init) + (template + c.extra).map(fill)
                var kept = existing
                if existing.hasSuffix("/") {
                    try FileManager.default.createDirectory(atPath: existing, withIntermediateDirectories: true)
                    kept = existing + "keep.txt"
                }
                writeBytes(old, kept)
                let name = "spindle \(args.joined(separator: " "))"
                let refused = try CLI.run(args, stdin: "")
                #expect(refused.status == 64, "\(name) over an existing \(existing) exits \(refused.status): \(refused.stderr)")
                #expect(refused.stderr.contains("exists") && refused.stderr.contains("--overwrite"), "\(name): \(refused.stderr)")
                #expect(refused.stderr.split(separator: "\n").count == 1, "\(name): not one line: \(refused.stderr)")
                #expect(readBytes(kept) == old, "\(name) changed \(kept)")
                let allowed = try CLI.run(args + ["--overwrite"], stdin: "")
                #expect(allowed.status != 64, "\(name) --overwrite exits \(allowed.status): \(allowed.stderr)")
            }
        }
    }
}
