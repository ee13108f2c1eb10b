import ArgumentParser
import SpindleIO
import SpindleShards
import SpindleTokenizer

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

    @Option(name: [.short, .long], help: "Output shard directory (created; refuses one holding index.json unless --overwrite).")
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

    @Flag(help: "Replace an existing shard directory.")
    var overwrite = false

    @OptionGroup var input: InputOptions

    @Argument(help: "Input JSONL files (default: stdin).")
    var files: [String] = []

    func validate() throws {
        guard seqLen >= 8 && seqLen <= 1 << 24 else { throw ValidationError("--seq-len must be between 8 and 16777216") }
        if let c = compression, ShardCompression(c) == nil { throw ValidationError("--compression must be zstd or zstd:LEVEL (1-22)") }
        if hashes.split(separator: ",").contains(where: { ShardHash(rawValue: String($0)) == nil }) {
            throw ValidationError("--hashes takes sha256 and/or xxh64")
        }
        if let d = tokenDType, d != "uint16" && d != "int32" { throw ValidationError("--token-dtype must be uint16 or int32") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        guard shardSize >= 1024 else { throw ValidationError("--shard-size must be at least 1024 bytes") }
    }

    func sinkOptions() -> ShardSink.Options {
        var o = ShardSink.Options(directory: output)
        o.seqLen = seqLen
        o.seed = seed
        o.compression = compression.flatMap(ShardCompression.init)
        o.hashes = hashes.split(separator: ",").compactMap { ShardHash(rawValue: String($0)) }
        o.sizeLimit = shardSize
        o.tokenType = tokenDType.flatMap(MDSDType.init(rawValue:))
        o.overwrite = overwrite
        return o
    }

    var configJSON: [(String, JSONValue)] {
        [("tokenizer", .string(tokenizer)), ("output", .string(output)), ("seq_len", .number(String(seqLen))),
         ("seed", .number(String(seed))), ("compression", compression.map { .string($0) } ?? .null),
         ("shard_size", .number(String(shardSize))), ("hashes", .string(hashes)),
         ("token_dtype", tokenDType.map { .string($0) } ?? .null)]
    }

    func loadTokenizer() throws -> SentencePieceModel {
        do { return try SentencePieceModel(contentsOf: tokenizer) } catch {
            StandardError.line("spindle pack: \(error)")
            throw ExitCode(Exit.noInput)
        }
    }

    func openInput(_ label: String) throws -> RecordInput {
        try RecordInput(paths: files, policy: input.onError, rejectsPath: input.rejects,
                        progressLabel: label, forceProgress: input.progress)
    }

    /// Writes manifest.json into the shard directory.
    func writeManifest(command: String, config: [(String, JSONValue)]) throws {
        var m = Manifest(command: command, config: .object(configJSON + config), seed: seed)
        for f in files where f != "-" { try m.addInput(f) }
        m.outputs = [output]
        try m.write(to: Manifest.path(for: output, isDirectory: true))
    }

    /// Says so when nothing was written: the directory is a valid empty MDS data set, but streaming
    /// refuses to open one.
    func warnIfEmpty(_ samples: Int, _ command: String) {
        if samples == 0 {
            StandardError.line("spindle \(command): warning: no samples written to \(output) (streaming.StreamingDataset refuses an empty data set)")
        }
    }

    /// Runs a pack body, mapping shard and template errors to messages and exit codes.
    func reporting(_ command: String, _ body: () throws -> Void) throws {
        try Exit.reporting(command) {
            do { try body() } catch let e as ShardError {
                StandardError.line("spindle \(command): \(e)")
                switch e {
                case .io, .outputExists: throw ExitCode(Exit.ioError)
                default: throw ExitCode(Exit.dataError)
                }
            }
        }
    }
}

/// Records read in batches, prepared (tokenised) on several threads, then added in input order.
struct Batcher<Record, Prepared> {
    var items: [(record: Record, file: String, line: Int)] = []
    let size = 256

    /// Prepares the pending batch and hands each result to `add`, in input order.
    mutating func flush(threads: Int, policy: ErrorPolicy, prepare: (Record) -> Result<Prepared, ChatTemplateError>,
                        add: (Record, Prepared) throws -> Void, skipped: inout Int) throws {
        let batch = items
        items.removeAll(keepingCapacity: true)
        let results = Parallel(threads: threads).map(batch.map(\.record), prepare)
        for (item, result) in zip(batch, results) {
            switch result {
            case .success(let p): try add(item.record, p)
            case .failure(let e):
                if policy == .fail { throw InputError(.invalidValue, file: item.file, line: item.line, field: "messages", "\(e)") }
                skipped += 1
            }
        }
    }
}

func describeRate(bytes: Int, seconds: Double) -> String {
    let mb = Double(bytes) / 1_000_000
    return "\(Progress.format(mb, 1)) MB in \(Progress.format(seconds, 2)) s (\(Progress.format(mb / max(seconds, 1e-9), 2)) MB/s)"
}

func percent(_ x: Double) -> String { Progress.format(x * 100, 2) + "%" }

struct PackPretrain: ParsableCommand {
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

    func run() throws {
        if config.handled(.object(pack.configJSON + extraConfig)) { return }
        try pack.reporting("pack pretrain") {
            let model = try pack.loadTokenizer()
            let start = Progress.now()
            var o = PretrainPacker.Options()
            o.padLastRow = lastRow == "pad"
            o.shuffleBuffer = shuffleBuffer
            let packer = PretrainPacker(sink: try ShardSink(kind: .pretrain, encoder: model, options: pack.sinkOptions()),
                                        encoder: model, options: o)
            let input = try pack.openInput("pack pretrain")
            var batch: [Document] = []
            var textBytes = 0
            let threads = pack.threads
            func flush() throws {
                let docs = batch
                batch.removeAll(keepingCapacity: true)
                let ids = Parallel(threads: threads).map(docs) { d -> [Int32] in model.encode(d.text) }
                for (d, body) in zip(docs, ids) {
                    if body.isEmpty { try packer.add(text: "", id: d.id); continue }
                    try packer.add(tokens: [model.bosID] + body + [model.eosID], id: d.id)
                }
            }
            let field = textField
            try input.forEachLine { json in
                let d = try Document(json: json, textField: field)
                textBytes += d.textUTF8Count
                batch.append(d)
                if batch.count >= 256 { try flush() }
            }
            try flush()
            try packer.finish()
            try input.finish(command: "pack pretrain")
            try pack.writeManifest(command: "pack pretrain", config: extraConfig)
            pack.warnIfEmpty(packer.rows, "pack pretrain")
            let seconds = Progress.now() - start
            StandardError.line("spindle pack pretrain: \(packer.documents) documents, \(packer.tokens - packer.droppedTokens) tokens -> \(packer.rows) rows of \(pack.seqLen) "
                               + "(\(packer.continuedDocuments) documents continued across rows, \(packer.padTokens) padding, "
                               + "\(packer.droppedTokens) dropped, \(packer.emptyDocuments) empty skipped); "
                               + "text " + describeRate(bytes: textBytes, seconds: seconds))
        }
    }
}

struct PackSFT: ParsableCommand {
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

    func run() throws {
        if config.handled(.object(pack.configJSON + extraConfig)) { return }
        if promptsOnly { return try runPrompts() }
        try pack.reporting("pack sft") {
            let model = try pack.loadTokenizer()
            let start = Progress.now()
            var o = SFTPacker.Options()
            o.strategy = packing
            o.overlong = overlong
            o.gatt = gatt
            o.window = window
            o.shuffleRows = !noShuffle
            let packer = SFTPacker(sink: try ShardSink(kind: .sft, encoder: model, options: pack.sinkOptions()),
                                   encoder: model, options: o)
            let input = try pack.openInput("pack sft")
            var batcher = Batcher<Dialogue, [RenderedChat]>()
            var textBytes = 0, skipped = 0
            let threads = pack.threads, policy = pack.input.onError
            func flush() throws {
                try batcher.flush(threads: threads, policy: policy,
                                  prepare: { d in Result { () throws(ChatTemplateError) in try packer.prepare(d) } },
                                  add: { d, chats in try packer.add(prepared: chats, id: d.id) }, skipped: &skipped)
            }
            try input.forEach(SFTExample.self) { e in
                textBytes += e.messages.reduce(0) { $0 + $1.content.utf8.count }
                batcher.items.append((e, input.currentFile, input.currentLine))
                if batcher.items.count >= batcher.size { try flush() }
            }
            try flush()
            try packer.finish(extraStats: ["invalid_skipped": .int(Int64(skipped + input.skippedTotal))])
            try input.finish(command: "pack sft")
            try pack.writeManifest(command: "pack sft", config: extraConfig)
            pack.warnIfEmpty(packer.rows, "pack sft")
            let seconds = Progress.now() - start
            StandardError.line("spindle pack sft: \(packer.examples) dialogues -> \(packer.rendered) examples in \(packer.rows) rows of \(pack.seqLen), "
                               + "fill \(percent(packer.fillRatio)) (\(packing.rawValue)), loss on \(percent(Double(packer.lossTokens) / Double(max(1, packer.tokens)))) of tokens; "
                               + "\(packer.truncated) truncated, \(packer.droppedOverlong) dropped overlong, \(skipped + input.skippedTotal) invalid skipped; "
                               + "text " + describeRate(bytes: textBytes, seconds: seconds))
        }
    }

    /// Prompts of SFT dialogues (the conversation up to its last user turn), each distinct one once.
    func runPrompts() throws {
        try pack.reporting("pack sft") {
            let model = try pack.loadTokenizer()
            let start = Progress.now()
            let packer = PromptPacker(sink: try ShardSink(kind: .prompts, encoder: model, options: pack.sinkOptions()), encoder: model)
            let input = try pack.openInput("pack sft")
            var batcher = Batcher<Dialogue, [Int32]>()
            var textBytes = 0, skipped = 0
            let threads = pack.threads, policy = pack.input.onError
            func flush() throws {
                try batcher.flush(threads: threads, policy: policy,
                                  prepare: { d in Result { () throws(ChatTemplateError) in
                                      try packer.prepare(Array(d.messages[..<(d.messages.lastIndex { $0.role == .assistant } ?? d.messages.count)]))
                                  } },
                                  add: { d, ids in try packer.add(id: d.id, prepared: ids, aspect: nil) }, skipped: &skipped)
            }
            try input.forEach(SFTExample.self) { e in
                textBytes += e.messages.reduce(0) { $0 + $1.content.utf8.count }
                batcher.items.append((e, input.currentFile, input.currentLine))
                if batcher.items.count >= batcher.size { try flush() }
            }
            try flush()
            try packer.finish(extraStats: ["source": .string("sft"), "invalid_skipped": .int(Int64(skipped + input.skippedTotal))])
            try input.finish(command: "pack sft")
            try pack.writeManifest(command: "pack sft", config: extraConfig)
            pack.warnIfEmpty(packer.prompts, "pack sft")
            StandardError.line("spindle pack sft --prompts-only: \(packer.prompts) distinct prompts (\(packer.duplicates) duplicates, "
                               + "\(packer.droppedOverlong) overlong dropped); text " + describeRate(bytes: textBytes, seconds: Progress.now() - start))
        }
    }
}

struct PackPreference: ParsableCommand {
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

    func run() throws {
        if config.handled(.object(pack.configJSON + extraConfig)) { return }
        try pack.reporting("pack preference") {
            let model = try pack.loadTokenizer()
            let start = Progress.now()
            let input = try pack.openInput("pack preference")
            // Mixes sample across the whole input, so pairs are read first (they are small).
            var pairs: [(PreferenceExample, String, Int)] = []
            var textBytes = 0
            try input.forEach(PreferencePair.self) { p in
                let x = p
                textBytes += x.prompt.reduce(0) { $0 + $1.content.utf8.count } + x.chosen.utf8.count + x.rejected.utf8.count
                pairs.append((x, input.currentFile, input.currentLine))
            }
            let order = mix.select(aspects: pairs.map(\.0.aspect), seed: pack.seed)
            let selected = order.map { pairs[$0] }
            let mixStats: [String: JSONValue] = ["mix": .string(mix.rawValue), "input_pairs": .int(Int64(pairs.count))]
            var skipped = 0
            let threads = pack.threads, policy = pack.input.onError
            let sink = try ShardSink(kind: promptsOnly ? .prompts : .preference, encoder: model, options: pack.sinkOptions())
            var summary = ""
            if promptsOnly {
                let packer = PromptPacker(sink: sink, encoder: model)
                var batcher = Batcher<PreferenceExample, [Int32]>()
                func flush() throws {
                    try batcher.flush(threads: threads, policy: policy,
                                      prepare: { x in Result { () throws(ChatTemplateError) in try packer.prepare(x.prompt) } },
                                      add: { x, ids in try packer.add(id: x.id, prepared: ids, aspect: x.aspect) }, skipped: &skipped)
                }
                for item in selected {
                    batcher.items.append(item)
                    if batcher.items.count >= batcher.size { try flush() }
                }
                try flush()
                try packer.finish(extraStats: mixStats)
                summary = "\(packer.prompts) distinct prompts (\(packer.duplicates) duplicates, \(packer.droppedOverlong) overlong dropped)"
            } else {
                let packer = PreferencePacker(sink: sink, encoder: model)
                var batcher = Batcher<PreferenceExample, PreferencePacker.Prepared>()
                func flush() throws {
                    try batcher.flush(threads: threads, policy: policy,
                                      prepare: { x in Result { () throws(ChatTemplateError) in try packer.prepare(x) } },
                                      add: { x, p in try packer.add(x, prepared: p) }, skipped: &skipped)
                }
                for item in selected {
                    batcher.items.append(item)
                    if batcher.items.count >= batcher.size { try flush() }
                }
                try flush()
                try packer.finish(extraStats: mixStats)
                let aspects = packer.aspectCounts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
                summary = "\(packer.pairs) pairs (\(aspects)), \(packer.droppedOverlong) overlong dropped"
            }
            try input.finish(command: "pack preference")
            try pack.writeManifest(command: "pack preference", config: extraConfig)
            pack.warnIfEmpty(sink.writer.samplesWritten, "pack preference")
            let seconds = Progress.now() - start
            StandardError.line("spindle pack preference: \(pairs.count) input pairs, mix \(mix.rawValue) -> \(summary), \(skipped) invalid skipped; "
                               + "text " + describeRate(bytes: textBytes, seconds: seconds))
        }
    }
}

extension PackingStrategy: ExpressibleByArgument {}
extension SFTPacker.Overlong: ExpressibleByArgument {}
extension PreferenceMix: ExpressibleByArgument {}
