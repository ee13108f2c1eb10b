import ArgumentParser
import SpindleIO
import SpindleStages

extension PIIAction: ExpressibleByArgument {}

/// `spindle pii`: find personal information and secrets; redact, drop or tag.
struct PIICommand: Configurable {
    static let configuration = CommandConfiguration(
        commandName: "pii",
        abstract: "Detect PII and secrets in documents; redact them (default), drop dense documents, or tag spans.",
        discussion: """
        Types: email, phone (NANP, international/E.164), ipv4, ipv6,
        credit_card (Luhn), ssn (valid ranges), iban (mod-97), secret (AWS,
        GitHub, GitLab, Slack tokens, private-key blocks, api_key=/password=/
        secret= with random-looking values), url_credentials (user:pass@host).
        Look-alikes are left alone: versions (1.2.3.4), dates, ISBNs, order
        numbers, cards and IBANs that fail their checksum.

          spindle pii < docs.jsonl > clean.jsonl          <EMAIL>, <PHONE>, ...
          spindle pii --action tag --types email,phone    spans in "pii"
          spindle pii --action drop --max-density 2       > 2 spans/1,000 chars

        Span offsets count unicode scalars. Street addresses and person names
        are not detected (see docs/STAGES.md).
        """)

    @Option(help: "redact, drop or tag.")
    var action: PIIAction = .redact
    @Option(help: "Comma-separated types to detect (default: all).")
    var types: String?
    @Option(name: .customLong("placeholder-format"), help: "Placeholder template; {TYPE} becomes EMAIL, PHONE, ... (default <{TYPE}>).")
    var placeholderFormat: String?
    @Option(name: .customLong("placeholder"), help: "Override one placeholder: TYPE=TEXT (repeatable), e.g. email=[EMAIL].")
    var placeholder: [String] = []
    @Option(name: .customLong("max-density"), help: "drop: remove documents with more than this many spans per 1,000 characters.")
    var maxDensity = 1.0
    @Option(name: .customLong("tag-field"), help: "tag: the field receiving the spans.")
    var tagField = "pii"
    @Option(name: .customLong("text-field"), help: "The field holding the text.")
    var textField = "text"
    @Option(help: "Write a JSON report (spans per type, documents dropped, MB/s) to this file.")
    var report: String?

    @OptionGroup var input: InputOptions
    @OptionGroup var out: OutputOptions
    @OptionGroup var config: ConfigOptions
    @Argument(help: "Input JSONL files (default: stdin).")
    var files: [String] = []

    func parseType(_ s: String) throws -> PIIType {
        guard let t = PIIType(rawValue: s.trimmingCharacters(in: " ")) else {
            throw ValidationError("unknown PII type '\(s)' (known: \(PIIType.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        return t
    }

    var options: PIIOptions {
        get throws {
            var o = PIIOptions()
            o.action = action
            if let types { o.types = Set(try types.split(separator: ",").map { try parseType(String($0)) }) }
            var overrides: [PIIType: String] = [:]
            for p in placeholder {
                guard let eq = p.firstIndex(of: "=") else { throw ValidationError("--placeholder expects TYPE=TEXT, got '\(p)'") }
                overrides[try parseType(String(p[..<eq]))] = String(p[p.index(after: eq)...])
            }
            o.placeholders = PIIPlaceholders(format: placeholderFormat, overrides: overrides)
            o.maxDensity = maxDensity
            o.tagField = tagField
            o.textField = textField
            o.policy = input.onError
            o.rejectsPath = input.rejects
            o.progress = input.progress
            return o
        }
    }

    func validate() throws { _ = try options }

    var configJSON: JSONValue { get throws { try options.json } }

    func run() throws {
        let o = try options
        try StageRun(command: "pii", config: o.json, inputs: files, report: report, allowEmpty: input.allowEmpty).run(out) { output in
            let r = try PIIStage(options: o).run(inputs: files, output: output)
            return StageOutcome(summary: r.summary, report: r.json, records: (r.documentsIn + r.skipped, r.documentsOut))
        }
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s.removeFirst() }
        while let l = s.last, set.contains(l) { s.removeLast() }
        return String(s)
    }
}
