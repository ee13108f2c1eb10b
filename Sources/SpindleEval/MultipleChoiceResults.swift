// MultipleChoiceResults.swift: a multiple-choice task's results entries: the task (for mmlu the group
// over every subject), MMLU's category groups, the subtasks; and its summary lines. Aliases are
// lm-eval 0.4.13's: a subject's `task_alias` ("anatomy"), a category's `group_alias` ("stem").
import SpindleIO

extension TaskOutcome {
    public func block(dataFile: String) -> ResultsBlock {
        let t = task, subs = subtasks
        func metrics(_ docs: [DocOutcome], pooledOver groups: [String]? = nil) -> [(key: String, value: MetricValue)] {
            t.metrics.map { m in
                let v = groups.map { g in MetricValue.pooled(g.map { metric(m, subtask: $0) }) } ?? MetricValue(docs.map { $0.metric(m) })
                return ("\(m),none", v)
            }
        }
        func leaf(_ name: String, _ n: Int) -> ResultsEntry.Leaf {
            .init(config: HarnessResults.config(t, name: name, shots: shots, dataFile: dataFile), version: t.version, shots: shots, n: n, metricNames: t.metrics)
        }
        var block = ResultsBlock(entries: [], groups: [], summary: [], shots: shots)
        func add(_ e: ResultsEntry, docs: [DocOutcome]) {
            block.entries.append(e)
            let line = e.metrics.map { "\($0.key.split(separator: ",")[0]) \(HarnessResults.format($0.value))" }.joined(separator: "  ")
            block.summary.append("\(e.name)  \(shots)-shot  \(line)" + String(format: "  chance %.4f  n %d", chanceLevel(docs), docs.count))
        }
        guard !subs.isEmpty else {
            add(ResultsEntry(name: t.name, alias: t.name, metrics: metrics(docs), leaf: leaf(t.name, docs.count), chance: chanceLevel(docs)), docs: docs)
            block.groups = [(t.name, [])]
            return block
        }
        add(ResultsEntry(name: t.name, alias: t.name, metrics: metrics(docs, pooledOver: subs), leaf: nil, chance: chanceLevel(docs)), docs: docs)
        // MMLU: each category present, then its subjects; subtasks outside any category follow the group.
        var categories: [(String, String, [String])] = []
        if t.name == "mmlu" {
            for (g, alias) in MMLUCategories.groups {
                let members = subs.filter { MMLUCategories.category[String($0.dropFirst(5))] == g }
                if !members.isEmpty { categories.append((g, alias, members)) }
            }
        }
        let categorised = Set(categories.flatMap(\.2))
        let loose = subs.filter { !categorised.contains($0) }
        func addSubtask(_ s: String) {
            let d = docs.filter { $0.subtask == s }
            add(ResultsEntry(name: s, alias: String(s.dropFirst(t.name.count + 1)), metrics: metrics(d), leaf: leaf(s, d.count), chance: chanceLevel(d)), docs: d)
        }
        for s in loose { addSubtask(s) }
        for (g, alias, members) in categories {
            let d = docs.filter { members.contains($0.subtask ?? "") }
            add(ResultsEntry(name: g, alias: alias, metrics: metrics(d, pooledOver: members), leaf: nil, chance: chanceLevel(d)), docs: d)
            for s in members { addSubtask(s) }
            block.groups.append((g, members))
        }
        block.groups.append((t.name, categories.map(\.0) + loose))
        return block
    }
}
