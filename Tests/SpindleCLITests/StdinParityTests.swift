// Every command that reads input reads stdin exactly as it reads the same bytes named as a file,
// plain and zstd-compressed (issue 13 part 3: `convert` once read nothing from stdin and exited 0).
// The command list comes from the CLI itself: a new command that takes input and is neither covered
// here nor listed as taking no record input fails the test.
import Foundation
import Testing
import SpindleTestSupport

/// One command run four ways on one input: FILE, FILE.zst, stdin, stdin compressed.
struct ParityCase: CustomStringConvertible {
    /// The leaf command ("dedup run").
    var command: String
    /// Arguments after the command. `IN` is the input (dropped for stdin, or "-" with `dashForStdin`),
    /// `FIX/` the fixtures directory, `OUT` a fresh directory per run, `RM` the removal list matching
    /// the input's spelling.
    var args: [String]
    var input: String
    var dashForStdin = false
    /// How the command spells stdin in what it writes (ids, report inputs, signature paths), each
    /// mapped to the form the file path takes once replaced by `<IN>`.
    var stdinSpellings: [(String, String)] = []
    /// Output files left out of the comparison, each covered otherwise (see where a case sets it).
    var unread: Set<String> = []

    var description: String { "spindle \(command) \(args.joined(separator: " ")) [\(input)]" }

    init(_ command: String, _ args: [String], _ input: String, dash: Bool = false, stdin: [(String, String)] = [],
         unread: Set<String> = []) {
        self.command = command; self.args = args; self.input = input; dashForStdin = dash; stdinSpellings = stdin
        self.unread = unread
    }
}

@Suite(.requires(.spindleBinary), .requires(.tool("zstd")), .serialized)
struct StdinParityTests {
    static let quotedDash = [("\"-\"", "\"<IN>\"")]
    static let stdinID = [("stdin", "<IN>")]
    static let stdinName = [("<stdin>", "<IN>")]

    /// Every covered command with at least one case.
    static let cases: [ParityCase] = [
        ParityCase("ingest", ["--format", "jsonl", "--source", "web", "IN"], "raw.jsonl", stdin: stdinID),
        ParityCase("ingest", ["--format", "text", "--blocks", "--source", "wiki", "IN"], "text.txt", stdin: stdinID),
        ParityCase("ingest", ["--format", "wiki-xml", "--source", "wiki", "IN"], "dump.xml", stdin: stdinID),
        ParityCase("ingest", ["--format", "html", "--source", "web", "IN"], "page.html", stdin: stdinID),
        ParityCase("convert", ["alpaca", "IN"], "alpaca.json"),
        ParityCase("convert", ["alpaca", "IN"], "alpaca.jsonl"),
        ParityCase("convert", ["dolly", "IN"], "dolly.jsonl"),
        ParityCase("convert", ["messages", "IN"], "messages.json"),
        ParityCase("convert", ["hh", "--aspect", "safety", "IN"], "hh.jsonl"),
        ParityCase("convert", ["dpo", "-o", "OUT/pairs.jsonl", "IN"], "dpo.json"),
        ParityCase("validate", ["--kind", "document", "--echo", "IN"], "docs.jsonl"),
        ParityCase("validate", ["--kind", "sft", "--echo", "IN"], "sft.jsonl"),
        ParityCase("validate", ["--kind", "preference", "--echo", "IN"], "pairs.jsonl"),
        ParityCase("tokenizer encode", ["--model", "FIX/llama2.model", "IN"], "text.txt"),
        ParityCase("tokenizer encode", ["--model", "FIX/tok.model", "--jsonl", "IN"], "docs.jsonl"),
        ParityCase("tokenizer decode", ["--model", "FIX/tok.model", "IN"], "ids.txt"),
        // The model's trainer_spec records the input's name (as sentencepiece's does); tok.vocab holds
        // every piece and score, so the models differ in nothing else.
        ParityCase("tokenizer train", ["--input", "IN", "--model_prefix", "OUT/tok", "--vocab_size", "600"], "text.txt", dash: true,
                   unread: ["tok.model"]),
        ParityCase("dedup run", ["--report", "OUT/report.json", "IN"], "docs.jsonl", stdin: stdinName),
        ParityCase("dedup run", ["--near", "--report", "OUT/report.json", "IN"], "docs.jsonl", stdin: stdinName),
        ParityCase("dedup signatures", ["IN"], "docs.jsonl", stdin: quotedDash),
        ParityCase("dedup clusters", ["IN"], "signatures.sorted"),
        ParityCase("dedup select", ["IN"], "edges.tsv"),
        ParityCase("dedup apply", ["--removals", "RM", "IN"], "docs.jsonl"),
        ParityCase("dedup keys", ["IN"], "docs.jsonl", stdin: quotedDash),
        ParityCase("dedup keys", ["--lines", "IN"], "docs.jsonl", stdin: quotedDash),
        ParityCase("dedup repeats", ["IN"], "keys.sorted"),
        ParityCase("pii", ["--report", "OUT/report.json", "IN"], "docs.jsonl", stdin: stdinName),
        ParityCase("pii", ["--action", "drop", "--max-density", "0.5", "IN"], "docs.jsonl", stdin: stdinName),
        ParityCase("upsample", ["--weights", "web=2.5", "--report", "OUT/report.json", "IN"], "docs.jsonl", stdin: quotedDash),
        // Records without ids: second copies get ids from the input's name and line.
        ParityCase("upsample", ["--weights", "web=1", "--default-weight", "2", "IN"], "raw.jsonl", stdin: [("-:", "<IN>:")]),
        ParityCase("dedup run", ["--near", "--report", "OUT/report.json", "IN"], "raw.jsonl", stdin: stdinName + [("-:", "<IN>:")]),
        ParityCase("classify train", ["--factual", "IN", "--web", "FIX/docs.jsonl", "-o", "OUT/f.spcl"], "wiki.jsonl", dash: true),
        ParityCase("classify score", ["--model", "FIX/factual.spcl", "IN"], "docs.jsonl"),
        ParityCase("pack pretrain", ["--tokenizer", "FIX/llama2.model", "--seq-len", "128", "-o", "OUT/shards", "IN"], "docs.jsonl"),
        ParityCase("pack sft", ["--tokenizer", "FIX/llama2.model", "--seq-len", "256", "-o", "OUT/shards", "IN"], "sft.jsonl"),
        ParityCase("pack preference", ["--tokenizer", "FIX/llama2.model", "--seq-len", "256", "-o", "OUT/shards", "IN"], "pairs.jsonl"),
        ParityCase("score", ["--checkpoint", "FIX/run/checkpoint", "IN"], "ids.txt"),
        ParityCase("eval lm", ["--checkpoint", "FIX/run/checkpoint", "--tokenizer", "FIX/tok.model", "--task", "arc_easy",
                               "--output", "OUT/results.json", "--samples", "OUT/samples.jsonl", "--data", "IN"], "arc.jsonl", dash: true,
                   stdin: [("\"data_files\": \"-\"", "\"data_files\": \"<IN>\"")]),   // the results name their data file
        ParityCase("eval ppl", ["--checkpoint", "FIX/run/checkpoint", "--tokenizer", "FIX/tok.model", "--format", "text",
                               "--output", "OUT/results.json", "--data", "IN"], "docs.jsonl", dash: true),
    ]

    /// Commands that take no record input, each with the reason. Anything else must be covered.
    static let noRecordInput: [String: String] = [
        "tokenizer info": "reads only a model file",
        "tokenizer explain": "reads only a model file; the text is an argument",
        "tokenizer merge": "reads only model files",
        "model resize": "reads a checkpoint and tokenizer model files",
        "lora merge": "reads a base checkpoint and an adapter directory",
        "shards inspect": "reads a shard directory (random access), never a stream",
        "shards verify": "reads a shard directory (random access), never a stream",
        "train pretrain": "reads --train-data (a shard directory or id file) once per epoch: a stream cannot be re-read",
        "train sft": "reads shard directories and checkpoints",
        "train rm": "reads shard directories and checkpoints",
        "train rejection": "reads shard directories and checkpoints",
        "train ppo": "reads shard directories and checkpoints",
        "train dpo": "reads shard directories and checkpoints",
        "generate": "the prompt is an argument; reads only a checkpoint",
        "serve": "a server: requests come over HTTP; reads a checkpoint, a tokenizer and (--annotate) its own judgement file",
        "report": "reads a pipeline directory",
        "bench sgemm": "no input at all",
        "bench tokenizer": "its output is timings, which differ run to run: nothing to compare",
        "eval rm": "needs a reward-model checkpoint (train rm); covered by RewardModel tests, not here",
        "eval report": "reads results JSON files named on the command line (no stdin); covered by ResultsTableTests",
        "eval winrate": "needs two policies and reward-model checkpoints; the prompt reader is covered by WinRateTests, not here",
    ]

    @Test func everyCommandIsCoveredOrHasNoRecordInput() throws {
        let leaves = Set(try CLIWalkTests.leaves().map { $0.joined(separator: " ") })
        let covered = Set(Self.cases.map(\.command))
        let missing = leaves.subtracting(covered).subtracting(Self.noRecordInput.keys).sorted()
        #expect(missing.isEmpty, "commands neither covered by a stdin/file parity case nor listed as taking no record input: \(missing)")
        let both = covered.intersection(Self.noRecordInput.keys)
        #expect(both.isEmpty, "listed as both covered and input-free: \(both)")
        let stale = covered.union(Self.noRecordInput.keys).subtracting(leaves).sorted()
        #expect(stale.isEmpty, "entries for commands the CLI does not have: \(stale)")
        // A command whose help says it reads stdin cannot be waved through as input-free.
        for name in Self.noRecordInput.keys.sorted() where name != "eval rm" {
            let help = try CLI.run(name.split(separator: " ").map(String.init) + ["--help"]).stdout
            #expect(!help.contains("default: stdin") && !help.contains("'-' is stdin"), "\(name) reads stdin but is listed as input-free")
        }
    }

    @Test(.requires(StdinFixtures.requirement), .requires(.tool("gzip")), .requires(.tool("sort")))
    func stdinGivesWhatTheFileGives() throws {
        let fix = try StdinFixtures()
        defer { fix.dir.cleanup() }
        for c in Self.cases { try ParityRunner(fixtures: fix, case: c).check() }
    }
}
