// PipelineReport.swift: one HTML page for a whole pipeline directory, found by walking it — per data
// stage a table of what went in and out and why documents were removed or redacted, the tokenizer's
// vocabulary, the shards' rows, tokens and fill, each training run's curves as inline SVG with a link
// to its own page, and every raw JSON report behind a <details> toggle. No script, no external asset.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

public enum PipelineReport {
    /// What the walk of a pipeline directory found (paths relative to the root, sorted).
    struct Found {
        var stageReports: [String] = [], vocabs: [String] = [], shardIndexes: [String] = []
        var runs: [String] = [], svgs: [String] = []
    }

    /// Builds the page for `root` (the `make` output directory). Links are `linkBase` + the path relative
    /// to `root` ("" for a page written into `root`; "/report/" when `spindle serve` serves it).
    public static func html(root: String, linkBase: String = "") throws -> String {
        let found = try walk(root)
        let page = Page(root: root, linkBase: linkBase)
        var h = """
        <!doctype html><html><head><meta charset="utf-8"><title>Spindle pipeline — \(esc(root))</title>
        <style>\(style)</style></head><body>
        <h1>Spindle pipeline</h1><p>Everything under <code>\(esc(root))</code>: data stages, tokenizer, shards, training runs.</p>
        <nav><a href="#stages">data stages</a> · <a href="#tokenizer">tokenizer</a> · <a href="#shards">shards</a> · <a href="#runs">training runs</a></nav>
        """
        h += "<h2 id=\"stages\">Data stages</h2>"
        if found.stageReports.isEmpty { h += "<p>none</p>" }
        for r in found.stageReports { h += StageSection.html(page: page, path: r) }
        h += "<h2 id=\"tokenizer\">Tokenizer</h2>"
        if found.vocabs.isEmpty { h += "<p>none</p>" }
        for v in found.vocabs { h += VocabularySection.html(page: page, path: v) }
        h += "<h2 id=\"shards\">Shards</h2>" + ShardSection.html(page: page, dirs: found.shardIndexes)
        h += "<h2 id=\"runs\">Training runs</h2>" + RunSection.index(page: page, runs: found.runs)
        for r in found.runs { h += RunSection.html(page: page, dir: r, svgs: found.svgs.filter { dirname($0) == r }) }
        let loose = found.svgs.filter { !found.runs.contains(dirname($0)) }
        if !loose.isEmpty { h += "<h2>Other figures</h2>" }
        for s in loose { h += "<h3>\(esc(s))</h3>" + page.read(s) }
        return h + "</body></html>\n"
    }

    /// Walks `root`, skipping checkpoint directories (weights only).
    static func walk(_ root: String) throws -> Found {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue,
              let walker = FileManager.default.enumerator(atPath: root) else {
            throw SystemError(path: root, operation: "read the pipeline directory", errno: ENOTDIR)
        }
        var f = Found(), runs = Set<String>()
        while let rel = walker.nextObject() as? String {
            let name = (rel as NSString).lastPathComponent
            if name == "checkpoint" || name == "best" { walker.skipDescendants(); continue }
            let dir = dirname(rel)
            if (name == "report.html" && rel != "report.html") || name == "metrics.jsonl" || name == "eval.txt" { runs.insert(dir) }
            else if rel.hasSuffix(".svg") { f.svgs.append(rel); if dir != "" { runs.insert(dir) } }
            else if rel.hasSuffix(".report.json") { f.stageReports.append(rel) }
            else if rel.hasSuffix(".vocab") { f.vocabs.append(rel) }
            else if name == "index.json" { f.shardIndexes.append(dir) }
        }
        let stageOrder = ["dedup", "pii", "upsample"]
        func stageRank(_ p: String) -> Int {
            stageOrder.firstIndex(of: ((p as NSString).lastPathComponent as NSString).deletingPathExtension
                .replacingOccurrences(of: ".report", with: "")) ?? stageOrder.count
        }
        f.stageReports.sort { (stageRank($0), $0) < (stageRank($1), $1) }
        let runOrder = ["pretrain", "sft", "rm", "rejection", "ppo", "dpo"]
        func runRank(_ p: String) -> Int {
            let n = (p as NSString).lastPathComponent
            return runOrder.firstIndex { n == $0 || n.hasPrefix($0 + "-") } ?? runOrder.count
        }
        f.runs = runs.sorted { (runRank($0), $0) < (runRank($1), $1) }
        f.vocabs.sort(); f.shardIndexes.sort(); f.svgs.sort()
        return f
    }

    static func dirname(_ rel: String) -> String { (rel as NSString).deletingLastPathComponent }

    static let style = """
    body{font-family:sans-serif;max-width:1000px;margin:2em auto;color:#222;padding:0 1em}
    pre{background:#f6f6f6;padding:.6em;overflow-x:auto;font-size:12px}
    h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:2em}h3{margin-bottom:.3em}
    table{border-collapse:collapse;margin:.5em 0;font-size:13px}td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}
    th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}details{margin:.4em 0}summary{cursor:pointer;color:#555}
    .figs{display:flex;flex-wrap:wrap;gap:8px}.note{color:#666;font-size:13px}
    """
}

/// What every section needs: the root, how links are written, reading files, tables.
struct Page {
    let root: String
    let linkBase: String

    func path(_ rel: String) -> String { (root as NSString).appendingPathComponent(rel) }
    func read(_ rel: String) -> String { (try? String(contentsOfFile: path(rel), encoding: .utf8)) ?? "" }
    func json(_ rel: String) -> [String: Any]? {
        guard let d = FileManager.default.contents(atPath: path(rel)) else { return nil }
        return (try? JSONSerialization.jsonObject(with: d)) as? [String: Any]
    }
    func link(_ rel: String, _ text: String) -> String { "<a href=\"\(esc(linkBase + rel))\">\(esc(text))</a>" }
    /// The file pretty-printed behind a toggle.
    func raw(_ rel: String, label: String = "raw JSON") -> String {
        "<details><summary>\(esc(label)): \(esc(rel))</summary><pre>\(esc(read(rel)))</pre></details>"
    }
}

func esc(_ s: String) -> String { SVGChart.escape(s) }

/// A table: a header row and body rows of already-formatted cells (escaped here).
func table(_ header: [String], _ rows: [[String]]) -> String {
    guard !rows.isEmpty else { return "" }
    return "<table><tr>" + header.map { "<th>\(esc($0))</th>" }.joined() + "</tr>"
        + rows.map { "<tr>" + $0.map { "<td>\(esc($0))</td>" }.joined() + "</tr>" }.joined() + "</table>"
}

/// Numbers for people: integers with thousands separators, others to 4 significant digits.
func fmt(_ v: Any?) -> String {
    guard let v else { return "—" }
    // (No `as? Bool` test: on Linux an NSNumber 0 or 1 casts to Bool, which would print counts as yes/no.)
    if let n = v as? NSNumber {
        let d = n.doubleValue
        if d == d.rounded(), abs(d) < 1e15 { return group(Int64(d)) }
        return String(format: "%.4g", d)
    }
    return "\(v)"
}

func group(_ n: Int64) -> String {
    let digits = String(n.magnitude)
    var out = ""
    for (i, c) in digits.enumerated() {
        if i > 0 && (digits.count - i) % 3 == 0 { out += "," }
        out.append(c)
    }
    return (n < 0 ? "-" : "") + out
}

func number(_ v: Any?) -> Double? { (v as? NSNumber)?.doubleValue }

/// "1,234 → 1,000 (−18.9%)".
func change(_ a: Double?, _ b: Double?) -> String {
    guard let a, let b, a != 0 else { return "—" }
    return String(format: "%+.1f%%", (b - a) / a * 100)
}

func bytes(_ v: Double?) -> String {
    guard let v else { return "—" }
    let units = ["B", "KB", "MB", "GB", "TB"]
    var x = v, u = 0
    while abs(x) >= 1000 && u < units.count - 1 { x /= 1000; u += 1 }
    return u == 0 ? "\(Int(x)) B" : String(format: "%.1f %@", x, units[u])
}
