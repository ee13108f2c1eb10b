import ArgumentParser
import SpindleIO
import SpindleStages

struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert public SFT and preference formats into Spindle records (JSONL).",
        discussion: """
        Formats (input is JSONL or a JSON array of records):
          alpaca    {"instruction","input","output"}            -> SFT dialogue
          dolly     {"instruction","context","response"}        -> SFT dialogue
          messages  {"messages":[{"role","content"}]} or ShareGPT {"conversations":[{"from","value"}]} -> SFT dialogue
          hh        Anthropic HH {"chosen","rejected"} transcripts, split at the last Assistant turn -> preference pair
          dpo       ShareGPT pairs {"conversations","chosen","rejected"} -> preference pair
        Preference data without graded degrees get --degree (default negligibly_better: no margin).
          spindle convert hh --aspect safety harmless-base.jsonl.gz > safety.jsonl
        """)

    @Argument(help: "Input format: alpaca, dolly, messages, hh or dpo.")
    var format: ConvertFormat

    @Option(help: "Degree for pairs without one: significantly_better, better, slightly_better, negligibly_better.")
    var degree: PreferencePair.Degree = .negligiblyBetter

    @Option(help: "The aim judged in preference pairs: helpfulness or safety.")
    var aspect: PreferencePair.Aspect = .helpfulness

    @Option(help: "Safety label for preference pairs: chosen_only_safe, both_safe or both_unsafe (default: none).")
    var safety: PreferencePair.Safety?

    @Option(name: .customLong("id-prefix"), help: "Prefix of generated ids (records without an id get PREFIX:N).")
    var idPrefix: String?

    @OptionGroup var input: InputOptions
    @OptionGroup var out: OutputOptions
    @OptionGroup var config: ConfigOptions

    @Argument(help: "Input files (default: stdin).")
    var files: [String] = []

    var configJSON: JSONValue {
        var m: [(String, JSONValue)] = [("format", .string(format.rawValue)), ("id_prefix", .string(idPrefix ?? format.rawValue))]
        if format.producesPreferences {
            m += [("degree", .string(degree.rawValue)), ("aspect", .string(aspect.rawValue)),
                  ("safety", safety.map { .string($0.rawValue) } ?? .null)]
        }
        return .object(m)
    }

    func run() throws {
        if config.handled(configJSON) { return }
        try Exit.reporting("convert") {
            let converter = Converter(format: format, defaultDegree: degree, aspect: aspect, safety: safety,
                                      idPrefix: idPrefix ?? format.rawValue)
            let output = try out.open()
            var count = 0, skipped = 0
            for path in files.isEmpty ? ["-"] : files {
                let bytes = try InputFile.readAll(path: path)
                let name = path == "-" ? "<stdin>" : path
                if bytes.first(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }) == UInt8(ascii: "[") {
                    // A JSON array of records: the whole file is one value.
                    let value: JSONValue
                    do throws(JSONValue.ParseError) { value = try JSONValue.parse(bytes) } catch {
                        throw InputError(.invalidJSON, file: name, error.message)
                    }
                    for (i, item) in (value.arrayValue ?? []).enumerated() {
                        let line: [UInt8]
                        do throws(InputError) {
                            line = try converter.convert(item, index: count + 1)
                        } catch {
                            let located = InputError(error.kind, file: name, field: "[\(i)]" + (error.field.map { ".\($0)" } ?? ""), error.message)
                            if input.onError == .fail { throw located }
                            skipped += 1
                            continue
                        }
                        try output.write(line)
                        count += 1
                    }
                } else {
                    let records = try RecordInput(paths: [path], policy: input.onError, rejectsPath: input.rejects)
                    try records.forEachLine { line in
                        let value = try JSONValue.parse(line.bytes)
                        try output.write(try converter.convert(value, index: count + 1))
                        count += 1
                    }
                    try records.finish(command: "convert")
                    skipped += records.skippedTotal
                }
            }
            try output.commit()
            var manifest = Manifest(command: "convert", config: configJSON)
            if out.output != nil { for f in files where f != "-" { try manifest.addInput(f) } }
            try out.writeManifest(manifest)
            StandardError.line("convert: \(count) records" + (skipped > 0 ? ", \(skipped) skipped" : ""))
        }
    }
}

extension ConvertFormat: ExpressibleByArgument {}
extension PreferencePair.Degree: ExpressibleByArgument {}
extension PreferencePair.Aspect: ExpressibleByArgument {}
extension PreferencePair.Safety: ExpressibleByArgument {}
