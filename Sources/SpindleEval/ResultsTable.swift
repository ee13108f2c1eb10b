// ResultsTable.swift: one HTML table of `eval lm` results: a row per (task, metric), a column per
// results file (checkpoint), with n, shots and the chance level beside each figure. It reads Spindle's
// `summary` rows, or, in a results JSON without them (lm-eval's own), the harness's `results`,
// `n-samples` and `n-shot` maps, so harness and Spindle results can sit side by side. Self-contained
// page: inline style, no script, no external asset.
import Foundation
import SpindleIO

public struct ResultsRow: Sendable, Equatable {
    public var task: String
    public var alias: String
    public var metric: String      // "acc", "exact_match,strict-match" (the filter when not "none")
    public var value: Double
    public var stderr: Double?
    public var n: Int?
    public var shots: Int?
    public var chance: Double?
}

public enum ResultsTable {
    /// The rows of one results JSON (`file` names it in errors).
    public static func rows(_ json: JSONValue, file: String) throws -> [ResultsRow] {
        func metricName(_ m: String, _ f: String) -> String { f == "none" ? m : "\(m),\(f)" }
        if let summary = json["summary"]?.arrayValue {
            return try summary.enumerated().map { i, r in
                guard let task = r["task"]?.stringValue, let m = r["metric"]?.stringValue, let v = r["value"]?.doubleValue else {
                    throw InputError(.format, file: file, field: "summary[\(i)]", "needs task, metric and value")
                }
                return ResultsRow(task: task, alias: r["alias"]?.stringValue ?? task, metric: metricName(m, r["filter"]?.stringValue ?? "none"),
                                  value: v, stderr: r["stderr"]?.doubleValue, n: r["n"]?.intValue, shots: r["shots"]?.intValue,
                                  chance: r["chance"]?.doubleValue)
            }
        }
        guard let results = json["results"]?.members else {
            throw InputError(.format, file: file, field: "results", "not a results JSON (no summary or results object)")
        }
        var out: [ResultsRow] = []
        for (task, entry) in results {
            for (key, v) in entry.members ?? [] {
                let parts = key.split(separator: ",", maxSplits: 1).map(String.init)
                guard parts.count == 2, !parts[0].hasSuffix("_stderr"), let value = v.doubleValue else { continue }
                out.append(ResultsRow(task: task, alias: entry["alias"]?.stringValue ?? task, metric: metricName(parts[0], parts[1]), value: value,
                                      stderr: entry["\(parts[0])_stderr,\(parts[1])"]?.doubleValue, n: json["n-samples"]?[task]?["effective"]?.intValue,
                                      shots: json["n-shot"]?[task]?.intValue, chance: json["chance"]?[task]?.doubleValue))
            }
        }
        return out
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// The page: `columns` are (label, rows) per results file; rows are matched by (task, metric) in
    /// first-seen order. A figure more than two standard errors above its chance level is bold.
    public static func html(title: String, columns: [(label: String, rows: [ResultsRow])]) -> String {
        var keys: [String] = [], first: [String: ResultsRow] = [:]
        for (_, rows) in columns {
            for r in rows where first[r.task + "\u{0}" + r.metric] == nil { keys.append(r.task + "\u{0}" + r.metric); first[r.task + "\u{0}" + r.metric] = r }
        }
        let index = columns.map { col in Dictionary(col.rows.map { ($0.task + "\u{0}" + $0.metric, $0) }, uniquingKeysWith: { a, _ in a }) }
        var h = """
        <!doctype html><html><head><meta charset="utf-8"><title>\(escape(title))</title><style>
        body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px}
        td.num{text-align:right;font-variant-numeric:tabular-nums}b{color:#063}small{color:#666}
        </style></head><body><h1>\(escape(title))</h1>
        <p>Value ± standard error (mean_stderr, or the pooled one for a group); chance = mean of 1/choices over the
        rows (none for generation and code tasks). <b>Bold</b>: more than two standard errors above chance.</p>
        <table><tr><th>task</th><th>metric</th><th>shots</th><th>n</th><th>chance</th>
        """
        for c in columns { h += "<th>\(escape(c.label))</th>" }
        h += "</tr>\n"
        for k in keys {
            let r = first[k]!
            h += "<tr><td>\(escape(r.task))\(r.alias == r.task ? "" : " <small>(\(escape(r.alias)))</small>")</td><td>\(escape(r.metric))</td>"
            h += "<td class=num>\(r.shots.map(String.init) ?? "–")</td><td class=num>\(r.n.map(String.init) ?? "–")</td>"
            h += "<td class=num>\(r.chance.map { String(format: "%.4f", $0) } ?? "–")</td>"
            for col in index {
                guard let x = col[k] else { h += "<td></td>"; continue }
                var cell = String(format: "%.4f", x.value)
                if let s = x.stderr { cell += String(format: " <small>± %.4f</small>", s) }
                if let c = x.chance, let s = x.stderr, x.value - c > 2 * s { cell = "<b>\(cell)</b>" }
                h += "<td class=num>\(cell)</td>"
            }
            h += "</tr>\n"
        }
        return h + "</table></body></html>\n"
    }
}
