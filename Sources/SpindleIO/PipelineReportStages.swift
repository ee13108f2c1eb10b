// PipelineReportStages.swift: the data stages of the pipeline report — documents and bytes in and out,
// the dedup breakdown (why each document went, how similar it was, the LSH operating point), PII spans
// by type, the up-sampler's per-source mix before and after, and the shards' rows, tokens and fill.
import Foundation

enum StageSection {
    static func html(page: Page, path: String) -> String {
        guard let o = page.json(path) else { return "<h3>\(esc(path))</h3><p>not readable as JSON</p>" + page.raw(path) }
        let stage = o["stage"] as? String ?? ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        var h = "<h3>\(esc(stage)) <span class=\"note\">\(esc(path))</span></h3>"
        h += inOut(o)
        switch stage {
        case "dedup": h += dedup(o)
        case "pii": h += pii(o)
        case "upsample": h += upsample(o)
        default: break
        }
        h += other(o)
        return h + page.raw(path)
    }

    /// Documents and bytes in and out (and the change).
    static func inOut(_ o: [String: Any]) -> String {
        var rows: [[String]] = []
        for (label, a, b) in [("documents", "documents_in", "documents_out"), ("bytes", "bytes_in", "bytes_out")] where o[a] != nil || o[b] != nil {
            let x = number(o[a]), y = number(o[b])
            rows.append([label, label == "bytes" ? bytes(x) : fmt(o[a]), label == "bytes" ? bytes(y) : fmt(o[b]), change(x, y)])
        }
        for (label, key) in [("documents removed", "documents_removed"), ("documents dropped", "documents_dropped"),
                             ("documents with PII", "documents_with_pii"), ("lines skipped", "lines_skipped")] where o[key] != nil {
            rows.append([label, "", fmt(o[key]), ""])
        }
        return table(["", "in", "out", "change"], rows)
    }

    /// Removed documents by how the duplicate was confirmed, their similarity, and the LSH figures.
    static func dedup(_ o: [String: Any]) -> String {
        let removed = o["removed"] as? [[String: Any]] ?? []
        var byReason: [String: Int] = [:]
        for r in removed { byReason[(r["verified"] as? String).map { "near duplicate (\($0))" } ?? "duplicate", default: 0] += 1 }
        var h = SVGChart.bars(title: "documents removed, by how the duplicate was confirmed",
                              rows: byReason.sorted { $0.key < $1.key }.map { ($0.key, Double($0.value), "\($0.value)") }, color: "#d62728")
        let sims = removed.compactMap { number($0["similarity"]) }
        if !sims.isEmpty {
            let edges = [0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]
            var counts = [Int](repeating: 0, count: edges.count - 1)
            for s in sims { counts[min(counts.count - 1, max(0, edges.lastIndex { $0 <= s } ?? 0))] += 1 }
            h += SVGChart.bars(title: "similarity to the kept document", rows: counts.indices.map { i in
                (i == counts.count - 1 ? String(format: "%.1f–1.0", edges[i]) : String(format: "%.1f–%.1f", edges[i], edges[i + 1]), Double(counts[i]), "\(counts[i])")
            }, color: "#9467bd")
        }
        var rows: [[String]] = []
        if let c = o["config"] as? [String: Any] {
            for k in ["mode", "threshold", "ngram", "num_perm", "bands", "rows", "verify"] where c[k] != nil { rows.append([k, fmt(c[k])]) }
        }
        if let l = o["lsh"] as? [String: Any] {
            for k in ["knee", "p_candidate_at_threshold", "false_positive_area", "false_negative_area"] where l[k] != nil { rows.append(["lsh " + k, fmt(l[k])]) }
        }
        for k in ["comparisons", "verified_edges", "exact_pairs", "exact_documents"] where o[k] != nil { rows.append([k, fmt(o[k])]) }
        return h + table(["setting / figure", "value"], rows)
    }

    /// Redacted spans by type.
    static func pii(_ o: [String: Any]) -> String {
        let spans = (o["spans"] as? [String: Any] ?? [:]).compactMap { k, v in number(v).map { (k, $0) } }.sorted { ($0.1, $1.0) > ($1.1, $0.0) }
        let action = (o["config"] as? [String: Any])?["action"] as? String ?? "redact"
        let total = fmt(o["spans_total"])
        return SVGChart.bars(title: "PII spans by type (\(action); \(total) in all)", rows: spans.map { ($0.0, $0.1, fmt($0.1)) }, color: "#ff7f0e")
    }

    /// Documents, bytes and estimated tokens per source, before and after.
    static func upsample(_ o: [String: Any]) -> String {
        let before = o["before"] as? [String: Any] ?? [:], after = o["after"] as? [String: Any] ?? [:]
        let weights = (o["config"] as? [String: Any])?["weights"] as? [String: Any] ?? [:]
        var rows: [[String]] = []
        var totals = [Double](repeating: 0, count: 4)
        for src in Set(before.keys).union(after.keys).sorted() {
            let b = before[src] as? [String: Any] ?? [:], a = after[src] as? [String: Any] ?? [:]
            let v = [number(b["documents"]), number(a["documents"]), number(b["est_tokens"]), number(a["est_tokens"])].map { $0 ?? 0 }
            for i in 0..<4 { totals[i] += v[i] }
            rows.append([src, fmt(weights[src]), fmt(b["documents"]), fmt(a["documents"]), bytes(number(b["bytes"])), bytes(number(a["bytes"])),
                         fmt(b["est_tokens"]), fmt(a["est_tokens"])])
        }
        var h = table(["source", "weight", "documents before", "after", "bytes before", "after", "est. tokens before", "after"], rows)
        if totals[3] > 0 {
            h += SVGChart.bars(title: "share of estimated tokens after up-sampling", rows: Set(after.keys).sorted().map { src in
                let t = number((after[src] as? [String: Any])?["est_tokens"]) ?? 0
                return (src, t / totals[3], String(format: "%.1f%%", t / totals[3] * 100))
            }, scale: 1, color: "#2ca02c")
        }
        return h
    }

    /// The remaining top-level figures (time, throughput, memory).
    static func other(_ o: [String: Any]) -> String {
        let shown: Set<String> = ["documents_in", "documents_out", "bytes_in", "bytes_out", "documents_removed", "documents_dropped",
                                  "documents_with_pii", "lines_skipped", "comparisons", "verified_edges", "exact_pairs", "exact_documents", "spans_total"]
        let rows = o.keys.sorted().filter { !shown.contains($0) && o[$0] is NSNumber }.map { k in
            [k, k.hasSuffix("_bytes") ? bytes(number(o[k])) : fmt(o[k])]
        }
        guard !rows.isEmpty else { return "" }
        return "<details><summary>other figures</summary>" + table(["figure", "value"], rows) + "</details>"
    }
}

enum ShardSection {
    /// One row per shard directory: kind, rows, tokens, fill, documents, padding, tokenizer.
    static func html(page: Page, dirs: [String]) -> String {
        guard !dirs.isEmpty else { return "<p>none</p>" }
        var rows: [[String]] = [], mixes: [String] = []
        for d in dirs {
            let idx = page.json(d + "/index.json") ?? [:]
            let sp = idx["spindle"] as? [String: Any] ?? [:], st = sp["stats"] as? [String: Any] ?? [:]
            let shards = idx["shards"] as? [[String: Any]] ?? []
            let size = shards.compactMap { number(($0["raw_data"] as? [String: Any])?["bytes"]) }.reduce(0, +)
            let seq = number(sp["seq_len"]), nRows = number(st["rows"]), tokens = number(st["tokens"])
            var fill = "—"
            if let seq, let nRows, let tokens, nRows > 0 { fill = String(format: "%.1f%%", tokens / (seq * nRows) * 100) }
            let item = ["documents", "examples", "pairs", "prompts"].first { st[$0] != nil }
            let tok = sp["tokenizer"] as? [String: Any] ?? [:]
            rows.append([d, sp["kind"] as? String ?? "?", fmt(sp["seq_len"]), item.map { fmt(st[$0]) + " " + $0 } ?? "—", fmt(st["rows"]),
                         fmt(st["tokens"]), fmt(st["loss_tokens"]), fill, fmt(st["pad_tokens"]), "\(shards.count)", bytes(size), fmt(tok["vocab_size"])])
            let parts = ["degree", "aspect", "safety"].compactMap { k -> String? in
                guard let m = st[k] as? [String: Any] else { return nil }
                return k + " " + m.keys.sorted().map { "\($0) \(fmt(m[$0]))" }.joined(separator: ", ")
            }
            if !parts.isEmpty { mixes.append("<li><code>\(esc(d))</code>: \(esc(parts.joined(separator: "; ")))</li>") }
        }
        var h = table(["directory", "kind", "seq len", "input", "rows", "tokens", "loss tokens", "fill", "pad tokens", "shards", "size", "vocab"], rows)
        h += "<p class=\"note\">fill: tokens ÷ (rows × seq len); <code>spindle shards inspect DIR</code> shows a shard's rows.</p>"
        if !mixes.isEmpty { h += "<p>Preference mixes:</p><ul>" + mixes.joined() + "</ul>" }
        for d in dirs { h += page.raw(d + "/index.json", label: "index") }
        return h
    }
}
