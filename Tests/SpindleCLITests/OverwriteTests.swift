// Nothing existing is overwritten without --overwrite: an existing file (or non-empty directory) named
// as an output is refused with exit 64 before any work, and left byte-identical; --overwrite replaces
// it; standard output, /dev/null and FIFOs are written in place and never refused.
import Foundation
import Testing
import SpindleTestSupport

@Suite(.requires(.spindleBinary)) struct OverwriteTests {
    static let docs = (1...6).map {
        #"{"id":"d\#($0)","text":"Document \#($0) talks about rivers, bridges and the number \#($0 * 7).","source":"web"}"#
    }.joined(separator: "\n") + "\n"
    static let old = Array("an earlier result the user wants to keep\n".utf8)

    /// One output check: the arguments (OUT is the output path, IN a file holding `docs`), and the output
    /// the check writes over.
    struct Case: CustomTestStringConvertible, Sendable {
        var args: [String]
        var output: String
        var stdin = ""
        var testDescription: String { args.joined(separator: " ") }
    }

    static let results = #"{"results": {"arc_easy": {"alias": "arc_easy", "acc,none": 0.5}}}"#

    static let cases: [Case] = [
        Case(args: ["ingest", "--format", "jsonl", "IN", "-o", "OUT"], output: "out.jsonl"),
        Case(args: ["pii", "--report", "OUT", "IN"], output: "pii.report.json"),
        Case(args: ["upsample", "--weights", "web=2", "--round-records", "OUT", "IN"], output: "rounds.txt"),
        Case(args: ["eval", "report", "DIR/a.json", "-o", "OUT"], output: "table.html"),
    ]

    /// Runs `c` in `dir` with `extra` arguments; `OUT` is `dir/output`.
    func run(_ c: Case, in tmp: TempDir, _ extra: [String] = []) throws -> ProcessResult {
        try tmp.write("in.jsonl", Self.docs)
        try tmp.write("a.json", Self.results)
        let args = c.args.map {
            $0 == "OUT" ? tmp.sub(c.output) : $0 == "IN" ? tmp.sub("in.jsonl") : $0.replacingOccurrences(of: "DIR/", with: tmp.path + "/")
        }
        return try CLI.run(args + extra, stdin: c.stdin)
    }

    @Test(arguments: cases) func anExistingOutputIsRefusedUnlessOverwrite(_ c: Case) throws {
        let tmp = TempDir("overwrite"); defer { tmp.cleanup() }
        let out = tmp.sub(c.output)
        writeBytes(Self.old, out)
        let refused = try run(c, in: tmp)
        #expect(refused.status == 64, "\(c.testDescription) over an existing file exits \(refused.status): \(refused.stderr)")
        #expect(refused.stderr.hasPrefix("spindle ") && refused.stderr.hasSuffix("\(out) exists: pass --overwrite to replace it\n"),
                "\(refused.stderr)")
        #expect(refused.stdout.isEmpty, "a refused run does no work: \(refused.stdout.prefix(200))")
        #expect(readBytes(out) == Self.old, "the refused output changed")
        #expect(!FileManager.default.fileExists(atPath: out + ".manifest.json"))

        let replaced = try run(c, in: tmp, ["--overwrite"])
        #expect(replaced.status == 0, "\(c.testDescription) --overwrite exits \(replaced.status): \(replaced.stderr)")
        #expect(!readBytes(out).isEmpty && readBytes(out) != Self.old, "--overwrite did not replace \(out)")
        // A new name needs no flag.
        try FileManager.default.removeItem(atPath: out)
        #expect(try run(c, in: tmp).status == 0)
    }

    /// The manifest beside an -o file follows the -o file's decision: an old manifest alone is no refusal.
    @Test func anOldManifestAloneIsReplaced() throws {
        let tmp = TempDir("overwrite"); defer { tmp.cleanup() }
        let out = tmp.sub("out.jsonl")
        try tmp.write("out.jsonl.manifest.json", "{}\n")
        let r = try CLI.run(["ingest", "--format", "jsonl", "-o", out], stdin: Self.docs)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try tmp.read("out.jsonl.manifest.json").contains("\"command\""))
    }

    /// The check comes before any input is read: a missing input and an existing output give 64, not 66.
    @Test func theRefusalComesBeforeReadingInput() throws {
        let tmp = TempDir("overwrite"); defer { tmp.cleanup() }
        let out = tmp.sub("out.jsonl")
        writeBytes(Self.old, out)
        let r = try CLI.run(["dedup", "--near", "--rejects", out, "--on-error", "skip", tmp.sub("missing.jsonl")])
        #expect(r.status == 64, "\(r.stderr)")
        #expect(readBytes(out) == Self.old)
    }

    @Test func devNullAndFIFOsAreWrittenInPlaceWithoutOverwrite() throws {
        let r = try CLI.run(["ingest", "--format", "jsonl", "-o", "/dev/null", "--rejects", "/dev/null"], stdin: Self.docs)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try CLI.run(["upsample", "--weights", "web=1", "--round-records", "/dev/null"], stdin: Self.docs).status == 0)

        let tmp = TempDir("overwrite"); defer { tmp.cleanup() }
        let fifo = tmp.sub("pipe")
        #expect(mkfifo(fifo, 0o644) == 0)
        // The reader drains the FIFO while spindle writes into it.
        let reader = Process()
        reader.executableURL = URL(fileURLWithPath: "/bin/cat")
        reader.arguments = [fifo]
        let pipe = Pipe()
        reader.standardOutput = pipe
        try reader.run()
        let w = try CLI.run(["ingest", "--format", "jsonl", "-o", fifo], stdin: Self.docs)
        let got = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        reader.waitUntilExit()
        #expect(w.status == 0, "\(w.stderr)")
        #expect(got.split(separator: "\n").count == 6, "the FIFO's reader got \(got.prefix(200))")
        var st = stat()
        #expect(stat(fifo, &st) == 0 && st.st_mode & S_IFMT == S_IFIFO, "the FIFO was replaced")
    }

    /// A shard directory: a non-empty one is refused (and left as it was), an empty one is used,
    /// and --overwrite replaces an earlier pack's shards.
    @Test func aNonEmptyOutputDirectoryIsRefusedUnlessOverwrite() throws {
        let tmp = TempDir("overwrite"); defer { tmp.cleanup() }
        let text = (1...200).map { "line \($0): the river runs under \($0 % 7) stone bridges and past \($0 % 5) mills" }
        try tmp.file("text.txt", text)
        let tok = try CLI.run(["tokenizer", "train", "--input", tmp.sub("text.txt"), "--model_prefix", tmp.sub("tok"),
                               "--vocab_size", "400", "--hard_vocab_limit", "false"])
        try #require(tok.status == 0, "\(tok.stderr)")
        try tmp.write("in.jsonl", Self.docs)
        let shards = tmp.sub("shards")
        let pack = ["pack", "pretrain", "--tokenizer", tmp.sub("tok.model"), "--seq-len", "32", "-o", shards, tmp.sub("in.jsonl")]

        try FileManager.default.createDirectory(atPath: shards, withIntermediateDirectories: true)
        #expect(try CLI.run(pack).status == 0, "an empty directory is no refusal")
        let index = readBytes(shards + "/index.json")
        let again = try CLI.run(pack)
        #expect(again.status == 64, "\(again.stderr)")
        #expect(again.stderr.contains("\(shards) exists and is not empty: pass --overwrite to replace it"), "\(again.stderr)")
        #expect(readBytes(shards + "/index.json") == index)

        let other = tmp.sub("notes")
        try FileManager.default.createDirectory(atPath: other, withIntermediateDirectories: true)
        try tmp.write("notes/keep.txt", "mine\n")
        let mixed = try CLI.run(["pack", "pretrain", "--tokenizer", tmp.sub("tok.model"), "--seq-len", "32", "-o", other, tmp.sub("in.jsonl")])
        let left = try FileManager.default.contentsOfDirectory(atPath: other)
        #expect(mixed.status == 64 && left == ["keep.txt"], "\(mixed.stderr) \(left)")

        let replaced = try CLI.run(pack + ["--overwrite"])
        #expect(replaced.status == 0, "\(replaced.stderr)")
        #expect(readBytes(shards + "/index.json") == index, "the same pack again gives the same shards")

        // tokenizer train's prefix: PREFIX.model exists.
        let retrain = try CLI.run(["tokenizer", "train", "--input", tmp.sub("text.txt"), "--model_prefix", tmp.sub("tok"), "--vocab_size", "400"])
        #expect(retrain.status == 64 && retrain.stderr.contains("tok.model exists"), "\(retrain.stderr)")
    }
}
