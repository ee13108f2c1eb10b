// GenerationResults.swift: a generation task's results entry (`exact_match,<filter>` per filter
// pipeline, as the harness keys them), its config, summary line and samples file.
import SpindleIO

extension GenerationOutcome {
    public func block(dataFile: String) -> ResultsBlock {
        let t = task
        let metrics = self.metrics
        let names = metrics.map { String($0.key.split(separator: ",")[0]) }
        let leaf = ResultsEntry.Leaf(config: config(dataFile: dataFile), version: t.version, shots: shots, n: docs.count, metricNames: names)
        let line = metrics.map { "\($0.key) \(HarnessResults.format($0.value))" }.joined(separator: "  ")
        return ResultsBlock(entries: [ResultsEntry(name: t.name, alias: t.name, metrics: metrics, leaf: leaf)],
                            groups: [(t.name, [])], summary: ["\(t.name)  \(shots)-shot  \(line)  n \(docs.count)"], shots: shots)
    }

    func config(dataFile: String) -> JSONValue {
        let t = task, em = t.exactMatch
        return .object([
            ("task", .string(t.name)), ("dataset_path", .string(t.datasetPath)), ("dataset_name", t.datasetName.map { .string($0) } ?? .null),
            ("data_files", .string(dataFile)), ("output_type", .string("generate_until")), ("description", .string(t.description)),
            ("doc_to_text", .string(t.docToText)), ("doc_to_target", .string(t.docToTarget)),
            ("target_delimiter", .string(t.targetDelimiter)), ("fewshot_delimiter", .string(t.fewshotDelimiter)), ("num_fewshot", .int(shots)),
            ("generation_kwargs", .object([("until", .array(t.until.map { .string($0) })), ("do_sample", .bool(sampling.temperature > 0)),
                                           ("temperature", .double(Double(sampling.temperature))), ("max_gen_toks", .int(maxGenToks))])),
            ("repeats", .int(sampling.samples)),
            ("filter_list", .array(t.filters.map { f in .object([("name", .string(f.name)), ("filter", .array(f.steps.map(\.json) + [.object([("function", .string("take_first"))])]))]) })),
            ("metric_list", .array(metricList(em))),
            ("metadata", .object([("version", .double(t.version))])),
        ])
    }

    func metricList(_ em: ExactMatchConfig) -> [JSONValue] {
        guard case .exactMatch = task.scoring else {
            return metrics.map { .object([("metric", .string(String($0.key.split(separator: ",")[0]))), ("aggregation", .string("mean")), ("higher_is_better", .bool(true))]) }
        }
        return [.object([("metric", .string("exact_match")), ("aggregation", .string("mean")), ("higher_is_better", .bool(true)),
                         ("ignore_case", .bool(em.ignoreCase)), ("ignore_punctuation", .bool(em.ignorePunctuation)),
                         ("regexes_to_ignore", .array(em.regexesToIgnore.map { .string($0) }))])]
    }

    /// One JSON line per document per filter, as `--log_samples` writes: `arguments` [[context,
    /// gen_kwargs]], `resps` [[generation]], `filtered_resps` [filtered], `filter`, `exact_match`.
    public func sampleLines() -> [[UInt8]] {
        if case .execution = task.scoring { return codeSampleLines() }
        var lines: [[UInt8]] = []
        for (f, filter) in task.filters.enumerated() {
            for (i, (d, r)) in zip(docs, records).enumerated() {
                let target: JSONValue = d.targets.count == 1 && task.name == "gsm8k" ? .string(d.targets[0]) : .array(d.targets.map { .string($0) })
                let v: JSONValue = .object([
                    ("doc_id", .int(i)), ("task", .string(task.name)), ("target", target),
                    ("arguments", .array([.array([.string(r.context), .object([("until", .array(task.until.map { .string($0) })), ("max_gen_toks", .int(maxGenToks))])])])),
                    ("resps", .array([.array([.string(r.generation)])])), ("filtered_resps", .array([.string(r.filtered[f])])),
                    ("filter", .string(filter.name)), ("metrics", .array([.string("exact_match")])), ("exact_match", .double(r.exactMatch[f])),
                ])
                lines.append(v.bytes(.compact) + [10])
            }
        }
        return lines
    }
}

extension GenerationOutcome {
    /// Code tasks: `resps` every sample, `filtered_resps` the candidates, `results` each run's
    /// ("passed", "failed: …", "timed out"), and the document's pass@k.
    func codeSampleLines() -> [[UInt8]] {
        zip(docs, records).enumerated().map { i, pair in
            let (d, r) = pair
            var members: [(String, JSONValue)] = [
                ("doc_id", .int(i)), ("task", .string(task.name)), ("target", .string(d.tests ?? "")),
                ("arguments", .array([.array([.string(r.context), .object([("until", .array(task.until.map { .string($0) })), ("max_gen_toks", .int(maxGenToks))])])])),
                ("resps", .array([.array(r.samples.map { .string($0) })])),
                ("filtered_resps", .array(r.samples.map { .string(d.codePrefix + $0) })), ("filter", .string(task.filters[0].name)),
                ("results", .array(r.executions.map { .string($0.description) })),
            ]
            let c = r.executions.filter(\.passed).count
            for k in passK { members.append(("pass@\(k)", .double(passAtK(n: r.executions.count, c: c, k: k)))) }
            return JSONValue.object(members).bytes(.compact) + [10]
        }
    }
}

extension FilterStep {
    var json: JSONValue {
        switch self {
        case .stripWhitespace: return .object([("function", .string("remove_whitespace"))])
        case .regex(let p, let g, _): return .object([("function", .string("regex")), ("regex_pattern", .string(p)), ("group_select", .int(g))])
        }
    }
}
