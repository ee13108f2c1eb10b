import ArgumentParser
import SpindleIO
import SpindleShards

struct PackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pack",
        abstract: "Tokenise records into 4096-token MDS shards (MosaicML streaming layout) for training.",
        discussion: """
        Records (JSONL, .zst read transparently) on stdin or from files; shards into
        --output DIR: index.json + shard.NNNNN.mds[.zstd], which
        streaming.StreamingDataset reads unchanged.
          spindle pack pretrain --tokenizer t.model -o shards/pretrain docs.jsonl
          spindle pack sft --tokenizer t.model -o shards/sft sft.jsonl
          spindle pack preference --tokenizer t.model -o shards/rm --mix safety p.jsonl
          spindle pack preference --tokenizer t.model -o shards/ppo --prompts-only p.jsonl
        Same input, options and --seed give byte-identical shards.
        docs/FORMATS-shards.md describes every column.
        """,
        subcommands: [PackPretrain.self, PackSFT.self, PackPreference.self])
}

/// Options every pack subcommand shares.
struct PackOptions: ParsableArguments {
    @Option(name: .long, help: "The SentencePiece .model to tokenise with (its SHA-256 is recorded in index.json).")
    var tokenizer: String

    @Option(name: [.short, .long], help: "Output shard directory (created; an existing non-empty one is refused unless --overwrite).")
    var output: String

    @Option(name: .customLong("seq-len"), help: "Row length in tokens (pretrain, sft); the longest sequence kept (preference).")
    var seqLen = 4096

    @Option(help: "Seed for shuffles and mixes.")
    var seed: UInt64 = 0

    @Option(help: "Compress shards: zstd or zstd:LEVEL (1-22). Default: none.")
    var compression: String?

    @Option(name: .customLong("shard-size"), help: "Start a new shard before one exceeds this many bytes (uncompressed).")
    var shardSize = 1 << 26

    @Option(help: "Hashes recorded for each shard file: sha256, xxh64 or both (comma-separated).")
    var hashes = "sha256"

    @Option(name: .customLong("token-dtype"), help: "Token column type: uint16 or int32 (default: the smallest that fits the vocabulary).")
    var tokenDType: String?

    @Option(help: "Tokenising threads.")
    var threads = 2

    @Flag(help: "Replace an existing shard directory (and an existing --rejects file).")
    var overwrite = false

    @OptionGroup var input: InputOptions

    @Argument(help: "Input JSONL files (default: stdin).")
    var files: [String] = []

    func validate() throws {
        if let problem = settings.problem { throw ValidationError(problem) }
    }

    var settings: PackSettings {
        var s = PackSettings(tokenizer: tokenizer, output: output)
        s.seqLen = seqLen; s.seed = seed; s.compression = compression; s.shardSize = shardSize; s.hashes = hashes
        s.tokenDType = tokenDType; s.threads = threads; s.overwrite = overwrite; s.files = files
        s.policy = input.onError; s.rejects = input.rejects; s.progress = input.progress
        return s
    }

    /// Runs `body` on the opened `PackRun` through the stage runner, which writes manifest.json into
    /// the shard directory.
    func run(_ command: String, config: [(String, JSONValue)], _ body: (PackRun) throws -> String) throws {
        let s = settings
        let job = try s.open(command: command)
        let stage = StageRun(command: command, config: .object(s.json + config), inputs: files, seed: seed, outputIsDirectory: true)
        try stage.run(output: output) { StageOutcome(summary: try body(job)) }
    }
}

struct PackPretrain: Configurable {
    static let configuration = CommandConfiguration(
        commandName: "pretrain",
        abstract: "Pack documents ({\"id\",\"text\",...}) into rows of exactly --seq-len tokens.",
        discussion: """
        Each document becomes <s> text </s>; documents are concatenated and cut into
        rows, a long document continuing at the start of the next row. segment_ids (1,
        2, … per row, 0 = padding) mark document boundaries so attention and positions
        restart there. Rows pass through a seeded shuffle buffer.
        """)

    @OptionGroup var pack: PackOptions

    @Option(name: .customLong("last-row"), help: "The last partial row: pad (with pad id 0, segment 0) or drop.")
    var lastRow = "pad"

    @Option(name: .customLong("shuffle-buffer"), help: "Rows held for shuffling (0 keeps input order).")
    var shuffleBuffer = 1024

    @Option(name: .customLong("text-field"), help: "The field holding the text.")
    var textField = "text"

    @OptionGroup var config: ConfigOptions

    func validate() throws {
        guard lastRow == "pad" || lastRow == "drop" else { throw ValidationError("--last-row must be pad or drop") }
        guard shuffleBuffer >= 0 else { throw ValidationError("--shuffle-buffer must be >= 0") }
    }

    var extraConfig: [(String, JSONValue)] {
        [("kind", .string("pretrain")), ("last_row", .string(lastRow)), ("shuffle_buffer", .number(String(shuffleBuffer))),
         ("text_field", .string(textField))]
    }

    var configJSON: JSONValue { .object(pack.settings.json + extraConfig) }

    func run() throws {
        var o = PretrainPacker.Options()
        o.padLastRow = lastRow == "pad"
        o.shuffleBuffer = shuffleBuffer
        try pack.run("pack pretrain", config: extraConfig) { try $0.pretrain(o, textField: textField) }
    }
}

struct PackSFT: Configurable {
    static let configuration = CommandConfiguration(
        commandName: "sft",
        abstract: "Pack SFT dialogues ({\"id\",\"messages\"}) into rows with Llama 2 chat loss masks.",
        discussion: """
        Each dialogue is rendered <s>[INST] user [/INST] answer </s>… (a system
        message folded into the first user turn as <<SYS>>…<</SYS>>); loss_mask is 1
        exactly on answer tokens and their </s>, taken from the roles. Examples are
        packed whole (never split across rows) by best-fit decreasing; each is its own
        segment. The fill ratio and every truncated or dropped example are reported
        and recorded.
        """)

    @OptionGroup var pack: PackOptions

    @Option(help: "Packing: best-fit (best-fit decreasing) or greedy (next-fit in input order).")
    var packing = PackingStrategy.bestFit

    @Option(help: "Examples longer than --seq-len: truncate (drop trailing turns, then cut) or drop.")
    var overlong = SFTPacker.Overlong.truncate

    @Flag(help: "Ghost Attention replay: dialogues with a system message and several answers become one example per answer, loss on that answer only.")
    var gatt = false

    @Option(help: "Pack this many examples at a time (bounds memory; 0 = all at once).")
    var window = 0

    @Flag(name: .customLong("no-shuffle"), help: "Write rows in packing order instead of a seeded shuffle.")
    var noShuffle = false

    @Flag(name: .customLong("prompts-only"), help: "Write each dialogue's prompt (everything before its last answer) once, for rejection sampling.")
    var promptsOnly = false

    @OptionGroup var config: ConfigOptions

    var extraConfig: [(String, JSONValue)] {
        [("kind", .string(promptsOnly ? "prompts" : "sft")), ("prompts_only", .bool(promptsOnly)), ("packing", .string(packing.rawValue)), ("overlong", .string(overlong.rawValue)),
         ("gatt", .bool(gatt)), ("window", .number(String(window))), ("shuffle_rows", .bool(!noShuffle))]
    }

    var configJSON: JSONValue { .object(pack.settings.json + extraConfig) }

    func run() throws {
        var o = SFTPacker.Options()
        o.strategy = packing
        o.overlong = overlong
        o.gatt = gatt
        o.window = window
        o.shuffleRows = !noShuffle
        try pack.run("pack sft", config: extraConfig) { promptsOnly ? try $0.sftPrompts() : try $0.sft(o) }
    }
}

struct PackPreference: Configurable {
    static let configuration = CommandConfiguration(
        commandName: "preference",
        abstract: "Pack graded preference pairs for reward models, or their prompts for PPO / rejection sampling.",
        discussion: """
        One pair a sample: chosen_ids and rejected_ids (prompt + answer + </s>,
        sharing prompt_len tokens), margin_degree (3 significantly better … 0
        negligibly better), aspect, safety and id. Mixes (Llama 2 §3.2.2), sampled
        with --seed from the records' aspect tags:
          --mix helpfulness   all helpfulness pairs + an equal number of safety pairs
          --mix safety        all safety pairs + helpfulness pairs making 10% (90/10)
        --prompts-only writes each distinct prompt once (prompt_ids ending in [/INST],
        aspect, id).
        """)

    @OptionGroup var pack: PackOptions

    @Option(help: "Which mix to write: all, helpfulness or safety.")
    var mix = PreferenceMix.all

    @Flag(name: .customLong("prompts-only"), help: "Write the distinct prompts only (for PPO and rejection sampling).")
    var promptsOnly = false

    @OptionGroup var config: ConfigOptions

    var extraConfig: [(String, JSONValue)] {
        [("kind", .string(promptsOnly ? "prompts" : "preference")), ("mix", .string(mix.rawValue)), ("prompts_only", .bool(promptsOnly))]
    }

    var configJSON: JSONValue { .object(pack.settings.json + extraConfig) }

    func run() throws {
        try pack.run("pack preference", config: extraConfig) { try $0.preference(mix: mix, promptsOnly: promptsOnly) }
    }
}

extension PackingStrategy: ExpressibleByArgument {}
extension SFTPacker.Overlong: ExpressibleByArgument {}
extension PreferenceMix: ExpressibleByArgument {}
