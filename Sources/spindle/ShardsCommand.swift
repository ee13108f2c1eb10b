import ArgumentParser
import SpindleIO
import SpindleShards
import SpindleTokenizer

struct ShardsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shards",
        abstract: "Inspect and verify shard directories written by `spindle pack`.",
        subcommands: [ShardsInspect.self, ShardsVerify.self])
}

/// Opens a shard directory, checking the tokenizer when one is given.
struct ShardsTarget: ParsableArguments {
    @Argument(help: "A shard directory (index.json + shard files).")
    var directory: String

    @Option(help: "The tokenizer .model the shards were packed with (refused if its fingerprint differs).")
    var tokenizer: String?

    func open() throws -> (ShardDataset, SentencePieceModel?) {
        let model = try tokenizer.map { try SentencePieceModel(contentsOf: $0) }
        return (try ShardDataset(directory: directory, tokenizer: model.map { TokenizerStamp($0) }), model)
    }
}

struct ShardsInspect: Configurable {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Counts, fill ratio, loss-mask coverage, length histogram and label distributions of a shard directory.",
        discussion: """
        --decode N prints the first N samples as text (needs --tokenizer): special ids
        as <s> and </s>, the spans the model is trained on (loss_mask 1) between ⟦ and
        ⟧, each packed example on its own line.
          spindle shards inspect out/shards/sft --tokenizer t.model --decode 2
        """)

    @OptionGroup var target: ShardsTarget
    @OptionGroup var config: ConfigOptions

    @Flag(help: "Print the summary as JSON.")
    var json = false

    @Option(help: "Also print the first N samples decoded as text, trained spans marked ⟦…⟧.")
    var decode = 0

    func validate() throws {
        if decode > 0 && target.tokenizer == nil { throw ValidationError("--decode needs --tokenizer to turn ids into text") }
        guard decode >= 0 else { throw ValidationError("--decode takes a count >= 0") }
    }

    func run() throws {
        let opened: (ShardDataset, SentencePieceModel?)
        do { opened = try target.open() } catch ShardError.notSpindleShards {
            // Someone else's MDS data set: say what it holds.
            let d = ShardInspector.describe(try MDSReader(directory: target.directory))
            return print(json ? d.json.pythonDumps() : d.text)
        }
        let (ds, model) = opened
        let summary = try ShardInspector.inspect(ds)
        let decoded = try model.map { m in try (0..<min(decode, ds.count)).map { try ShardInspector.decode(ds, sample: $0, encoder: m) } } ?? []
        if json {
            var o = summary.json.objectValue!
            if !decoded.isEmpty { o["decoded"] = .array(decoded.map { .string($0) }) }
            print(JSONValue.object(o).pythonDumps())
        } else {
            print(summary.text)
            for d in decoded { print(d) }
        }
    }
}

struct ShardsVerify: Configurable {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check hashes, structure and packing invariants of a shard directory; exit 65 if anything is wrong.",
        discussion: """
        Checks every file's hash and layout, then every sample: token ids in the
        vocabulary; segment ids in contiguous runs 1, 2, … (no token can attend to
        another example) with padding only at the end; positions restarting per
        segment; SFT loss masks equal to the assistant answers exactly (with
        --tokenizer, the answers are located independently of the mask); preference
        pairs sharing a valid prompt span; and the counts recorded in index.json.
        """)

    @OptionGroup var target: ShardsTarget
    @OptionGroup var config: ConfigOptions

    @Flag(help: "Print the report as JSON.")
    var json = false

    func run() throws {
        let report: VerifyReport
        var kind: ShardKind?
        do {
            let (ds, model) = try target.open()
            kind = ds.metadata.kind
            report = ShardVerifier(dataset: ds, tokenizer: model).run()
        } catch ShardError.notSpindleShards {
            // Someone else's MDS data set: files, hashes and structure only.
            report = ShardVerifier.verifyMDS(try MDSReader(directory: target.directory))
        }
        print(json ? report.json.pythonDumps() : report.text(directory: target.directory, kind: kind))
        if !report.ok { throw ExitCode(ExitStatus.dataError) }
    }
}
