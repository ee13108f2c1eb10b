// `spindle pii`: detect PII in each document's text and redact it, drop dense documents, or tag spans.

import SpindleIO

/// Configuration of the pii stage.
public struct PIIOptions: Sendable {
    public var action: PIIAction = .redact
    public var types: Set<PIIType> = Set(PIIType.allCases)
    public var placeholders = PIIPlaceholders()
    /// `drop`: remove documents with more than this many spans per 1,000 characters.
    public var maxDensity = 1.0
    /// `tag`: the field that receives the spans.
    public var tagField = "pii"
    public var textField = "text"
    public var policy: ErrorPolicy = .fail
    public var rejectsPath: String? = nil
    public var progress = false
    public init() {}

    public var json: JSONValue {
        .object([
            ("action", .string(action.rawValue)),
            ("types", .array(PIIType.allCases.filter { types.contains($0) }.map { .string($0.rawValue) })),
            ("placeholders", .object(PIIType.allCases.filter { types.contains($0) }.map { ($0.rawValue, .string(placeholders[$0])) })),
            ("max_density_per_1000_chars", JSONValue(maxDensity)), ("tag_field", .string(tagField)),
            ("text_field", .string(textField)),
        ])
    }
}

/// What a pii run did.
public struct PIIReport: Sendable {
    public var options: PIIOptions
    public var documentsIn = 0, documentsOut = 0, documentsWithPII = 0, documentsDropped = 0
    public var bytesIn = 0, bytesOut = 0
    public var spans: [PIIType: Int] = [:]
    public var seconds = 0.0
    public var skipped = 0

    public var json: JSONValue {
        .object([
            ("stage", .string("pii")), ("config", options.json),
            ("documents_in", JSONValue(documentsIn)), ("documents_out", JSONValue(documentsOut)),
            ("documents_with_pii", JSONValue(documentsWithPII)), ("documents_dropped", JSONValue(documentsDropped)),
            ("lines_skipped", JSONValue(skipped)),
            ("bytes_in", JSONValue(bytesIn)), ("bytes_out", JSONValue(bytesOut)),
            ("spans", .object(PIIType.allCases.map { ($0.rawValue, JSONValue(spans[$0] ?? 0)) })),
            ("spans_total", JSONValue(spans.values.reduce(0, +))),
            ("seconds", JSONValue(seconds)), ("mb_per_s", JSONValue(seconds > 0 ? Double(bytesIn) / 1e6 / seconds : 0)),
            ("peak_rss_bytes", JSONValue(peakResidentBytes())),
        ])
    }

    public var summary: String {
        let mb = Double(bytesIn) / 1e6
        let found = PIIType.allCases.compactMap { t in spans[t].map { "\(t.rawValue) \($0)" } }.joined(separator: ", ")
        return "pii (\(options.action.rawValue)): \(documentsIn) documents, \(documentsWithPII) with PII"
            + (found.isEmpty ? "" : " (\(found))")
            + (options.action == .drop ? ", \(documentsDropped) dropped" : "")
            + "; \(Progress.format(mb, 1)) MB in \(Progress.format(seconds, 2)) s (\(Progress.format(seconds > 0 ? mb / seconds : 0, 1)) MB/s)"
    }
}

/// The pii stage.
public struct PIIStage {
    public let options: PIIOptions
    public init(options: PIIOptions) { self.options = options }

    /// The JSON array of spans for the tag field.
    public static func spansJSON(_ spans: [PIISpan]) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "[")]
        for (k, s) in spans.enumerated() {
            if k > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: "{\"type\":\"\(s.type.rawValue)\",\"start\":\(s.start),\"end\":\(s.end)}".utf8)
        }
        out.append(UInt8(ascii: "]"))
        return out
    }

    public func run(inputs: [String], output: OutputFile) throws -> PIIReport {
        let start = Progress.now()
        var report = PIIReport(options: options)
        let scanner = PIIScanner(types: options.types)
        let records = try StageInput(paths: inputs, canonicalOrder: false, policy: options.policy, rejectsPath: options.rejectsPath,
                                     progressLabel: "pii", forceProgress: options.progress)
        var text: [UInt8] = []
        try records.forEach { _, _, json in
            try StageText.text(of: json, field: options.textField, into: &text)
            report.documentsIn += 1
            report.bytesIn += text.count
            let spans = text.withUnsafeBufferPointer { scanner.scan($0) }
            if !spans.isEmpty { report.documentsWithPII += 1 }
            for s in spans { report.spans[s.type, default: 0] += 1 }
            switch options.action {
            case .redact:
                if spans.isEmpty { try output.write(json.bytes); try output.writeByte(0x0A) } else {
                    let red = text.withUnsafeBufferPointer { PIIRedactor.redact($0, spans: spans, placeholders: options.placeholders) }
                    try output.write(red.withUnsafeBufferPointer { StageText.settingString(json, field: options.textField, text: $0) })
                }
            case .drop:
                let density = PIIRedactor.density(spans: spans.count, scalars: text.withUnsafeBufferPointer { PIIRedactor.scalarCount($0) })
                if density > options.maxDensity { report.documentsDropped += 1; return }
                try output.write(json.bytes); try output.writeByte(0x0A)
            case .tag:
                try output.write(StageText.setting(json, field: options.tagField, rawJSON: Self.spansJSON(spans)))
            }
            report.documentsOut += 1
        }
        try records.finish(command: "pii")
        report.skipped = records.skippedTotal
        report.bytesOut = output.bytesWritten
        report.seconds = Progress.now() - start
        return report
    }
}
