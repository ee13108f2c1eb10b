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

    func open(_ command: String) throws -> (ShardDataset, SentencePieceModel?) {
        var model: SentencePieceModel? = nil
        if let tokenizer {
            do { model = try SentencePieceModel(contentsOf: tokenizer) } catch {
                StandardError.line("spindle shards \(command): \(error)")
                throw ExitCode(Exit.noInput)
            }
        }
        return (try ShardDataset(directory: directory, tokenizer: model.map { TokenizerStamp($0) }), model)
    }
}

/// Maps shard errors to a message and an exit code (74 when a file cannot be read, 65 otherwise).
func shardsReporting(_ command: String, _ body: () throws -> Void) throws {
    do { try body() } catch let e as ShardError {
        StandardError.line("spindle shards \(command): \(e)")
        switch e {
        case .io: throw ExitCode(Exit.ioError)
        case .missingIndex: throw ExitCode(Exit.noInput)
        default: throw ExitCode(Exit.dataError)
        }
    }
}

struct ShardsInspect: ParsableCommand {
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

    @Flag(help: "Print the summary as JSON.")
    var json = false

    @Option(help: "Also print the first N samples decoded as text, trained spans marked ⟦…⟧.")
    var decode = 0

    func validate() throws {
        if decode > 0 && target.tokenizer == nil { throw ValidationError("--decode needs --tokenizer to turn ids into text") }
        guard decode >= 0 else { throw ValidationError("--decode takes a count >= 0") }
    }

    func run() throws {
        try shardsReporting("inspect") {
            let opened: (ShardDataset, SentencePieceModel?)
            do { opened = try target.open("inspect") } catch ShardError.notSpindleShards {
                // Someone else's MDS data set: say what it holds.
                let d = ShardInspector.describe(try MDSReader(directory: target.directory))
                print(json ? d.json.pythonDumps() : d.text)
                return
            }
            let (ds, model) = opened
            let summary = try ShardInspector.inspect(ds)
            if json {
                var o = summary.json.objectValue!
                if let model, decode > 0 {
                    o["decoded"] = .array(try (0..<min(decode, ds.count)).map { .string(try ShardInspector.decode(ds, sample: $0, encoder: model)) })
                }
                print(JSONValue.object(o).pythonDumps())
                return
            }
            print(summary.text)
            if let model {
                for i in 0..<min(decode, ds.count) { print(try ShardInspector.decode(ds, sample: i, encoder: model)) }
            }
        }
    }
}

struct ShardsVerify: ParsableCommand {
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

    @Flag(help: "Print the report as JSON.")
    var json = false

    func run() throws {
        try shardsReporting("verify") {
            let report: VerifyReport
            var kind = ""
            do {
                let (ds, model) = try target.open("verify")
                kind = ds.metadata.kind.rawValue
                report = ShardVerifier(dataset: ds, tokenizer: model).run()
            } catch ShardError.notSpindleShards {
                // Someone else's MDS data set: files, hashes and structure only.
                report = ShardVerifier.verifyMDS(try MDSReader(directory: target.directory))
            }
            if json {
                print(report.json.pythonDumps())
            } else {
                for p in report.problems { print("problem: \(p)") }
                if report.problemCount > report.problems.count { print("… and \(report.problemCount - report.problems.count) more") }
                let answers = kind == "sft"
                    ? ", \(report.answersChecked) answers checked against the loss mask"
                      + (report.answersAmbiguous > 0 ? " (\(report.answersAmbiguous) examples spell [/INST] in their text: their answers must start after one of the candidates)" : "")
                    : ""
                print("\(report.ok ? "ok" : "FAILED"): \(target.directory): \(report.shards) shard file(s), \(report.samples) samples, "
                      + "\(report.problemCount) problem(s)\(answers)")
            }
            if !report.ok { throw ExitCode(Exit.dataError) }
        }
    }
}
