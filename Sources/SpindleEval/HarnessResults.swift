// HarnessResults.swift: results in lm-evaluation-harness's JSON layout (`results`, `group_subtasks`,
// `configs`, `versions`, `n-shot`, `higher_is_better`, `n-samples`), so tools that read lm-eval's
// results read Spindle's; plus `chance` (per task, beside the harness's keys) and the samples file
// (one line per document with its requests' log-likelihoods, as `--log_samples` writes).
import Foundation
import SpindleIO

public enum HarnessResults {
    /// `{"acc,none": v, "acc_stderr,none": s, ...}` with "N/A" for an undefined stderr, as the harness.
    static func metricMembers(_ names: [String], _ value: (String) -> MetricValue) -> [(String, JSONValue)] {
        names.flatMap { m -> [(String, JSONValue)] in
            let v = value(m)
            return [("\(m),none", .double(v.value)), ("\(m)_stderr,none", v.stderr.isFinite ? .double(v.stderr) : .string("N/A"))]
        }
    }

    public static func json(_ outcomes: [TaskOutcome], dataFiles: [String: String], limit: Int?, model: String) -> JSONValue {
        var results: [(String, JSONValue)] = [], groups: [(String, JSONValue)] = [], configs: [(String, JSONValue)] = []
        var versions: [(String, JSONValue)] = [], nshot: [(String, JSONValue)] = [], better: [(String, JSONValue)] = []
        var samples: [(String, JSONValue)] = [], chance: [(String, JSONValue)] = []
        for o in outcomes {
            let t = o.task, subs = o.subtasks
            results.append((t.name, .object([("alias", .string(t.name))] + metricMembers(t.metrics) { o.headline($0) })))
            groups.append((t.name, .array(subs.map { .string($0) })))
            chance.append((t.name, .double(chanceLevel(o.docs))))
            for s in subs {
                let alias = " - " + String(s.dropFirst(t.name.count + 1))
                results.append((s, .object([("alias", .string(alias))] + metricMembers(t.metrics) { o.metric($0, subtask: s) })))
            }
            for name in subs.isEmpty ? [t.name] : subs {
                let n = subs.isEmpty ? o.docs.count : o.docs.filter { $0.subtask == name }.count
                configs.append((name, config(t, name: name, shots: o.shots, dataFile: dataFiles[t.name] ?? "")))
                versions.append((name, .double(t.version)))
                nshot.append((name, .int(o.shots)))
                better.append((name, .object(t.metrics.map { ($0, .bool(true)) })))
                samples.append((name, .object([("original", .int(n)), ("effective", .int(n))])))
            }
        }
        return .object([
            ("results", .object(results)), ("group_subtasks", .object(groups)), ("configs", .object(configs)),
            ("versions", .object(versions)), ("n-shot", .object(nshot)), ("higher_is_better", .object(better)),
            ("n-samples", .object(samples)), ("chance", .object(chance)),
            ("config", .object([("model", .string("spindle")), ("model_args", .string(model)),
                                ("limit", limit.map { .int($0) } ?? .null)])),
        ])
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

    /// One line per (sub)task: `arc_easy  0-shot  acc 0.2456 ± 0.0180  acc_norm …  chance 0.2500  n 570`.
    public static func summaryLines(_ o: TaskOutcome) -> [String] {
        func fmt(_ v: MetricValue) -> String {
            String(format: "%.4f ± %@", v.value, v.stderr.isFinite ? String(format: "%.4f", v.stderr) : "N/A")
        }
        let names: [(String, String?)] = [(o.task.name, nil)] + o.subtasks.map { ($0, $0) }
        return names.map { name, sub in
            let metrics = o.task.metrics.map { m in "\(m) \(fmt(sub == nil ? o.headline(m) : o.metric(m, subtask: sub)))" }
            let docs = o.docs.filter { sub == nil || $0.subtask == sub }
            return "\(name)  \(o.shots)-shot  " + metrics.joined(separator: "  ") + String(format: "  chance %.4f  n %d", chanceLevel(docs), docs.count)
        }
    }
}
