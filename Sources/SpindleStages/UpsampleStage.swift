// `spindle upsample`: re-weight sources (Llama 2 up-sampled its most factual sources).
//
// A document of weight w is written floor(w) times, plus once more with probability frac(w) drawn from
// (seed, id) — deterministic, independent of order and of the other documents. Copies are interleaved:
// the output is written in rounds (round k holds every document with at least k copies, in input
// order), so two copies of one document are a whole round apart, never adjacent. Copy k >= 2 gets the
// id "ID#k". Weight 0 drops a source; 0 < w < 1 down-samples it.

import SpindleIO

/// Configuration of the upsample stage.
public struct UpsampleOptions: Sendable {
    /// Weight per source; documents of other sources get `defaultWeight`.
    public var weights: [String: Double] = [:]
    public var defaultWeight = 1.0
    public var seed: UInt64 = 0
    /// `--by-score FIELD --above X --factor F`: documents whose FIELD > X get their weight multiplied by F.
    public var scoreField: String? = nil
    public var scoreAbove = 0.5
    public var scoreFactor = 2.0
    public var bytesPerToken = 3.5
    public var sourceField = "source"
    public var textField = "text"
    public var policy: ErrorPolicy = .fail
    public var rejectsPath: String? = nil
    public var progress = false
    public init() {}

    /// Parses "wiki=2.5,books=1.5,web=1".
    public static func parseWeights(_ s: String) -> [String: Double]? {
        var out: [String: Double] = [:]
        for part in s.split(separator: ",") {
            let kv = part.split(separator: "=", maxSplits: 1)
            guard kv.count == 2, let w = Double(kv[1]), w >= 0, w.isFinite else { return nil }
            out[String(kv[0])] = w
        }
        return out
    }

    public var json: JSONValue {
        var m: [(String, JSONValue)] = [
            ("weights", .object(weights.keys.sorted().map { ($0, JSONValue(weights[$0]!)) })),
            ("default_weight", JSONValue(defaultWeight)), ("seed", .number(String(seed))),
            ("bytes_per_token", JSONValue(bytesPerToken)), ("source_field", .string(sourceField)),
        ]
        if let f = scoreField {
            m += [("by_score", .string(f)), ("above", JSONValue(scoreAbove)), ("factor", JSONValue(scoreFactor))]
        }
        return .object(m)
    }

    /// The weight of one document.
    public func weight(source: String?, score: Double?) -> Double {
        var w = source.flatMap { weights[$0] } ?? defaultWeight
        if scoreField != nil, let s = score, s > scoreAbove { w *= scoreFactor }
        return w
    }

    /// Copies of a document: floor(w) plus one with probability frac(w), drawn from (seed, id).
    public func copies(weight w: Double, id: String) -> Int {
        let whole = Int(w.rounded(.down))
        let frac = w - Double(whole)
        if frac <= 0 { return whole }
        var idBytes = Array(id.utf8)
        let h = idBytes.withUnsafeMutableBufferPointer { XXH64.hash(UnsafeBufferPointer($0), seed: seed ^ 0x5550_5341_4D50_4C45) }
        let u = Double(h >> 11) * 0x1.0p-53
        return whole + (u < frac ? 1 : 0)
    }
}

/// Per-source totals.
public struct SourceTotals: Sendable {
    public var documents = 0, bytes = 0
}

public struct UpsampleReport: Sendable {
    public var options: UpsampleOptions
    public var before: [String: SourceTotals] = [:]
    public var after: [String: SourceTotals] = [:]
    public var rounds = 0
    /// Records written in each round (round k: every document with at least k copies), in output order.
    public var roundRecords: [Int] = []
    public var seconds = 0.0
    public var skipped = 0
    /// With `--by-score`: documents that had a numeric score field.
    public var scored = 0

    func totals(_ t: [String: SourceTotals]) -> JSONValue {
        .object(t.keys.sorted().map { k in
            let v = t[k]!
            return (k, .object([("documents", JSONValue(v.documents)), ("bytes", JSONValue(v.bytes)),
                                ("est_tokens", JSONValue(Int((Double(v.bytes) / options.bytesPerToken).rounded())))]))
        })
    }

    public var json: JSONValue {
        .object([("stage", .string("upsample")), ("config", options.json), ("rounds", JSONValue(rounds)),
                 ("lines_skipped", JSONValue(skipped)),
                 ("before", totals(before)), ("after", totals(after)), ("seconds", JSONValue(seconds))]
                + (options.scoreField == nil ? [] : [("scored_documents", JSONValue(scored))]))
    }

    public var summary: String {
        let keys = Set(before.keys).union(after.keys).sorted()
        let parts = keys.map { k in "\(k) \(before[k]?.documents ?? 0)->\(after[k]?.documents ?? 0)" }
        let bIn = before.values.reduce(0) { $0 + $1.bytes }, bOut = after.values.reduce(0) { $0 + $1.bytes }
        return "upsample: " + (parts.isEmpty ? "0" : parts.joined(separator: ", ")) + " documents; \(Progress.format(Double(bIn) / 1e6, 1)) MB -> "
            + "\(Progress.format(Double(bOut) / 1e6, 1)) MB in \(rounds) round\(rounds == 1 ? "" : "s")"
    }
}

public struct UpsampleStage {
    public let options: UpsampleOptions
    public init(options: UpsampleOptions) { self.options = options }

    static let noSource = "(none)"

    public func run(inputs: [String], output: OutputFile) throws -> UpsampleReport {
        let start = Progress.now()
        var report = UpsampleReport(options: options)
        var spool: StageSpool? = nil
        var paths = inputs.isEmpty ? ["-"] : inputs
        if paths.contains("-") {
            guard paths.count == 1 else { throw InputError(.format, file: "-", "stdin cannot be combined with files here") }
            spool = try StageSpool(from: nil)
            paths = [spool!.path]
        }
        _ = spool
        // Pass 1: copies per document.
        var copies: [UInt16] = []
        var text: [UInt8] = []
        let first = try StageInput(paths: paths, canonicalOrder: false, policy: options.policy, rejectsPath: options.rejectsPath,
                                   progressLabel: "upsample", forceProgress: options.progress)
        try first.forEach { path, line, json in
            try StageText.text(of: json, field: options.textField, into: &text)
            let source = try json.string(options.sourceField)
            let score = options.scoreField.flatMap { StageText.number(of: json, field: $0) }
            if score != nil { report.scored += 1 }
            let id = StageText.id(of: json, fallback: "\(path):\(line)")
            let n = options.copies(weight: options.weight(source: source, score: score), id: id)
            copies.append(UInt16(min(n, Int(UInt16.max))))
            let key = source ?? Self.noSource
            report.before[key, default: SourceTotals()].documents += 1
            report.before[key, default: SourceTotals()].bytes += text.count
            if n > 0 {
                report.after[key, default: SourceTotals()].documents += n
                report.after[key, default: SourceTotals()].bytes += n * text.count
            }
        }
        try first.finish(command: "upsample")
        report.skipped = first.skippedTotal
        if let field = options.scoreField, report.scored == 0, !copies.isEmpty {
            // A misspelt field would otherwise weight nothing, silently.
            throw InputError(.missingField, file: inputs.first ?? "<stdin>", field: field,
                             "--by-score: none of the \(copies.count) documents has a numeric '\(field)' field")
        }
        let rounds = Int(copies.max() ?? 0)
        report.rounds = rounds
        report.roundRecords = (0..<rounds).map { k in copies.reduce(0) { $0 + (Int($1) > k ? 1 : 0) } }
        // Rounds: round k writes every document with at least k copies.
        if rounds > 0 {
            for k in 1...rounds {
                var d = 0
                let again = try StageInput(paths: paths, canonicalOrder: false, policy: .skip)
                try again.forEach { path, line, json in
                    try StageText.requireString(json, field: options.textField)
                    defer { d += 1 }
                    guard Int(copies[d]) >= k else { return }
                    if k == 1 {
                        try output.write(json.bytes); try output.writeByte(0x0A)
                    } else {
                        var idJSON: [UInt8] = []
                        JSONString.append(StageText.id(of: json, fallback: "\(path):\(line)") + "#\(k)", to: &idJSON)
                        try output.write(StageText.setting(json, field: "id", rawJSON: idJSON))
                    }
                }
            }
        }
        report.seconds = Progress.now() - start
        return report
    }
}
