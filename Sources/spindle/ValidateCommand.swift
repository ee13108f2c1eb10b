import ArgumentParser
import SpindleIO

struct ValidateCommand: Configurable {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check that every line of a JSONL file is a valid Spindle record of a kind.",
        discussion: """
        Reports the first bad line as FILE:LINE: field 'F': reason and exits 65, or with --on-error skip
        counts bad lines per reason. Valid records are echoed in canonical form with --echo.
          spindle validate --kind preference pairs.jsonl
        """)

    enum Kind: String, ExpressibleByArgument, CaseIterable { case document, sft, preference }

    @Option(help: "Record kind: document, sft or preference.")
    var kind: Kind

    @Flag(help: "Write each valid record to stdout in canonical form.")
    var echo = false

    @OptionGroup var input: InputOptions
    @OptionGroup var overwriting: OverwriteOption
    @OptionGroup var config: ConfigOptions

    @Argument(help: "Input files (default: stdin).")
    var files: [String] = []

    func run() throws {
        let records = try RecordInput(paths: files, policy: input.onError, rejectsPath: input.rejects)
        try StageRun(command: "validate", config: configJSON, inputs: files, allowEmpty: input.allowEmpty).run(open: { try OutputFile(path: nil) }, path: nil) { output in
            func handle<R: JSONRecord>(_ type: R.Type) throws {
                try records.forEach(type) { r in if echo { try output.write(r.jsonLine()) } }
            }
            switch kind {
            case .document: try handle(Document.self)
            case .sft: try handle(SFTExample.self)
            case .preference: try handle(PreferencePair.self)
            }
            try records.finish(command: "validate")
            return StageOutcome(summary: "validate: \(records.records) valid \(kind.rawValue) records" +
                                (records.skippedTotal > 0 ? ", \(records.skippedTotal) invalid" : ""),
                                records: (records.records + records.skippedTotal, records.records))
        }
        if records.skippedTotal > 0 { throw ExitCode(ExitStatus.dataError) }
    }
}
