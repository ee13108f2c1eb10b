import ArgumentParser
import SpindleIO
import SpindleStages

/// `spindle dedup keys`: the map phase of exact and line/paragraph dedup (DedupKeys.swift).
struct DedupKeys: Configurable {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Map phase of exact (default) and --lines/--paragraphs dedup: one key line per document or per distinct unit.",
        discussion: """
        Exact: KEY(32 hex) PATH LINE LENGTH SCORE ID, one line per document (KEY: the digest the
        one-shot run compares). --lines/--paragraphs: KEY(16 hex) PATH LINE, one line per distinct
        unit of a document. Any shuffle that brings a key's lines together, sorted by key, feeds
        `dedup repeats`; `dedup apply` drops what it lists:
          spindle dedup keys --lines shard-*.jsonl | LC_ALL=C sort | spindle dedup repeats > rm.tsv
          spindle dedup apply --lines --removals rm.tsv shard-*.jsonl > kept.jsonl
        """)

    @Flag(help: "Keys of lines (CCNet), as `dedup --lines`.")
    var lines = false
    @Flag(help: "Keys of paragraphs, as `dedup --paragraphs`.")
    var paragraphs = false
    @Flag(name: .customLong("no-normalize"), help: "Exact: hash raw bytes instead of normalised text.")
    var noNormalize = false
    @Option(help: "Exact: which copy survives: first, longest, or a numeric FIELD (its value is the SCORE column).")
    var keep = "first"
    @Option(name: .customLong("text-field"), help: "The field holding the text.")
    var textField = "text"
    @OptionGroup var input: InputOptions
    @OptionGroup var out: OutputOptions
    @OptionGroup var config: ConfigOptions
    @Argument(help: "Input JSONL files (default: stdin).")
    var files: [String] = []

    func validate() throws {
        if lines && paragraphs { throw ValidationError("choose one of --lines, --paragraphs") }
        if (lines || paragraphs) && noNormalize { throw ValidationError("--no-normalize is for exact keys (units are always normalised)") }
    }

    func run() throws {
        var o = DedupOptions()
        o.mode = lines ? .lines : paragraphs ? .paragraphs : .exact
        o.normalize = !noNormalize; o.keep = KeepRule(keep); o.textField = textField
        try StageRun(command: "dedup keys", config: configJSON, inputs: files).run(out) { output in
            StageOutcome(summary: try DedupKeyMap(options: o).run(inputs: files, output: output, policy: input.onError, rejectsPath: input.rejects))
        }
    }
}

/// `spindle dedup repeats`: the reduce phase over key lines sorted by key.
struct DedupRepeats: Configurable {
    static let configuration = CommandConfiguration(
        commandName: "repeats",
        abstract: "Reduce phase of exact and line dedup: key lines sorted by key in, what to remove out.",
        discussion: """
        For each key, its documents in (PATH, LINE) order: exact keys keep the copy the one-shot run
        keeps (--keep) and write a removal line per other copy (as `clusters` writes them); unit keys
        write PATH LINE KEY for every document after the first that holds the unit. Any split of the
        keys over several reducers gives the same lines in all.
        """)

    @Option(help: "Exact: which copy survives: first, longest, or the FIELD given to `keys`.")
    var keep = "first"
    @OptionGroup var out: OutputOptions
    @OptionGroup var config: ConfigOptions
    @Argument(help: "Key files written by `dedup keys`, sorted by their first column (default: stdin).")
    var files: [String] = []

    func run() throws {
        try StageRun(command: "dedup repeats", config: configJSON, inputs: files).run(out) { output in
            var reducer = DedupKeyReducer(keep: KeepRule(keep))
            return StageOutcome(summary: try reducer.run(inputs: files, output: output))
        }
    }
}
