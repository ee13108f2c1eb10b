import ArgumentParser
import SpindleIO
import SpindleStages

struct ConvertCommand: Configurable {
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
        let converter = Converter(format: format, defaultDegree: degree, aspect: aspect, safety: safety,
                                  idPrefix: idPrefix ?? format.rawValue)
        try StageRun(command: "convert", config: configJSON, inputs: files, allowEmpty: input.allowEmpty).run(out) { output in
            let (count, skipped) = try converter.run(paths: files, output: output, policy: input.onError, rejectsPath: input.rejects)
            return StageOutcome(summary: "convert: \(count) records" + (skipped > 0 ? ", \(skipped) skipped" : ""),
                                records: (count + skipped, count))
        }
    }
}

extension ConvertFormat: ExpressibleByArgument {}
extension PreferencePair.Degree: ExpressibleByArgument {}
extension PreferencePair.Aspect: ExpressibleByArgument {}
extension PreferencePair.Safety: ExpressibleByArgument {}
