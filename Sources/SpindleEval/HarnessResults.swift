// HarnessResults.swift: results in lm-evaluation-harness's JSON layout (`results`, `group_subtasks`,
// `configs`, `versions`, `n-shot`, `higher_is_better`, `n-samples`), so tools that read lm-eval's
// results read Spindle's; plus `chance` (per task, beside the harness's keys). Every task kind makes
// a `ResultsBlock` (its entries, groups and summary lines); one JSON holds any number of blocks.
import Foundation
import SpindleIO

/// One line of `results`: a task, a group, or a subtask. Leaves carry what `configs` and the other
/// per-task maps need.
public struct ResultsEntry: Sendable {
    public var name: String
    public var alias: String
    public var metrics: [(key: String, value: MetricValue)]   // key: "acc,none", "exact_match,strict-match"
    public var leaf: Leaf?
    public var chance: Double?

    public struct Leaf: Sendable {
        public var config: JSONValue
        public var version: Double
        public var shots: Int
        public var n: Int
        public var metricNames: [String]
    }
}

/// A task's entries in the harness's order (group first, then each category and its subtasks), the
/// groups' members, and the lines printed to standard output.
public struct ResultsBlock: Sendable {
    public var entries: [ResultsEntry]
    public var groups: [(String, [String])]
    public var summary: [String]
    public var shots = 0
}

public enum HarnessResults {
    /// `{"acc,none": v, "acc_stderr,none": s, ...}` with "N/A" for an undefined stderr, as the harness.
    static func metricMembers(_ metrics: [(key: String, value: MetricValue)]) -> [(String, JSONValue)] {
        metrics.flatMap { m -> [(String, JSONValue)] in
            let parts = m.key.split(separator: ",", maxSplits: 1).map(String.init)
            let stderrKey = parts[0] + "_stderr," + (parts.count > 1 ? parts[1] : "none")
            return [(m.key, .double(m.value.value)), (stderrKey, m.value.stderr.isFinite ? .double(m.value.stderr) : .string("N/A"))]
        }
    }

    public static func json(_ outcomes: [TaskOutcome], dataFiles: [String: String], limit: Int?, model: String) -> JSONValue {
        json(blocks: outcomes.map { $0.block(dataFile: dataFiles[$0.task.name] ?? "") }, limit: limit, model: model)
    }

    public static func json(blocks: [ResultsBlock], limit: Int?, model: String) -> JSONValue {
        var results: [(String, JSONValue)] = [], groups: [(String, JSONValue)] = [], configs: [(String, JSONValue)] = []
        var versions: [(String, JSONValue)] = [], nshot: [(String, JSONValue)] = [], better: [(String, JSONValue)] = []
        var samples: [(String, JSONValue)] = [], chance: [(String, JSONValue)] = [], summary: [JSONValue] = []
        for b in blocks {
            for e in b.entries {
                results.append((e.name, .object([("alias", .string(e.alias))] + metricMembers(e.metrics))))
                if let c = e.chance { chance.append((e.name, .double(c))) }
                summary += summaryRows(e, shots: b.shots)
                guard let l = e.leaf else { continue }
                configs.append((e.name, l.config))
                versions.append((e.name, .double(l.version)))
                nshot.append((e.name, .int(l.shots)))
                better.append((e.name, .object(l.metricNames.map { ($0, .bool(true)) })))
                samples.append((e.name, .object([("original", .int(l.n)), ("effective", .int(l.n))])))
            }
            for (g, members) in b.groups { groups.append((g, .array(members.map { .string($0) }))) }
        }
        return .object([
            ("results", .object(results)), ("group_subtasks", .object(groups)), ("configs", .object(configs)),
            ("versions", .object(versions)), ("n-shot", .object(nshot)), ("higher_is_better", .object(better)),
            ("n-samples", .object(samples)), ("chance", .object(chance)), ("summary", .array(summary)),
            ("config", .object([("model", .string("spindle")), ("model_args", .string(model)),
                                ("limit", limit.map { .int($0) } ?? .null)])),
        ])
    }

    /// Spindle's flat table beside the harness's maps: one row per (task, metric) with `task`, `alias`,
    /// `metric`, `filter`, `value`, `stderr` (null when undefined), `n`, `shots`, `chance` (null for
    /// generation and code tasks). `eval report` renders it.
    static func summaryRows(_ e: ResultsEntry, shots: Int) -> [JSONValue] {
        e.metrics.map { m in
            let parts = m.key.split(separator: ",", maxSplits: 1).map(String.init)
            return .object([
                ("task", .string(e.name)), ("alias", .string(e.alias)), ("metric", .string(parts[0])),
                ("filter", .string(parts.count > 1 ? parts[1] : "none")), ("value", .double(m.value.value)),
                ("stderr", m.value.stderr.isFinite ? .double(m.value.stderr) : .null), ("n", .int(m.value.n)),
                ("shots", .int(e.leaf?.shots ?? shots)), ("chance", e.chance.map { .double($0) } ?? .null),
            ])
        }
    }

    static func config(_ t: HarnessTask, name: String, shots: Int, dataFile: String) -> JSONValue {
        let tp = t.template
        return .object([
            ("task", .string(name)), ("dataset_path", .string(tp.datasetPath)), ("dataset_name", tp.datasetName.map { .string($0) } ?? .null),
            ("data_files", .string(dataFile)), ("output_type", .string("multiple_choice")),
            ("doc_to_text", .string(tp.docToText)), ("doc_to_target", .string(tp.docToTarget)), ("doc_to_choice", .string(tp.docToChoice)),
            ("target_delimiter", .string(" ")), ("fewshot_delimiter", .string("\n\n")), ("num_fewshot", .int(shots)),
            ("fewshot_config", .object([("sampler", .string(t.sampler.rawValue))])),
            ("metric_list", .array(t.metrics.map { .object([("metric", .string($0)), ("aggregation", .string("mean")), ("higher_is_better", .bool(true))]) })),
            ("metadata", .object([("version", .double(t.version))])),
        ])
    }

    /// The samples file: one JSON line per document (`doc_id`, `target`, `arguments`, `resps`,
    /// `filtered_resps` as [[ll, "True"/"False"], ...] like lm-eval's, and the per-document metrics).
    public static func sampleLines(_ o: TaskOutcome) -> [[UInt8]] {
        zip(o.docs, o.requests).enumerated().map { i, pair in
            let (d, reqs) = pair
            let resps: JSONValue = .array(reqs.map { .array([.double($0.logLikelihood), .string($0.isGreedy ? "True" : "False")]) })
            let v: JSONValue = .object([
                ("doc_id", .int(i)), ("task", .string(d.subtask ?? o.task.name)), ("target", .int(d.gold)),
                ("arguments", .array(reqs.map { .array([.string($0.context), .string($0.continuation)]) })),
                ("resps", .array(reqs.map { .array([.array([.double($0.logLikelihood), .string($0.isGreedy ? "True" : "False")])]) })),
                ("filtered_resps", resps), ("acc", .double(d.acc)), ("acc_norm", .double(d.accNorm)),
            ])
            return v.bytes(.compact) + [10]
        }
    }

    /// `0.2456 ± 0.0180` ("N/A" for an undefined stderr).
    static func format(_ v: MetricValue) -> String {
        String(format: "%.4f ± %@", v.value, v.stderr.isFinite ? String(format: "%.4f", v.stderr) : "N/A")
    }

    /// One line per (sub)task: `arc_easy  0-shot  acc 0.2456 ± 0.0180  acc_norm …  chance 0.2500  n 570`.
    public static func summaryLines(_ o: TaskOutcome) -> [String] { o.block(dataFile: "").summary }
}
