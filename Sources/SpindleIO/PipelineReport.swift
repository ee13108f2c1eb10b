// PipelineReport.swift: one HTML page for a whole pipeline directory — every stage's report, figures
// and tables, found by walking the directory, so `make` ends with a single page to open.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

public enum PipelineReport {
    /// Builds the page for `root` (the `make` output directory). Links are relative to `root`.
    public static func html(root: String) throws -> String {
        let fm = FileManager.default
        guard let walker = fm.enumerator(atPath: root) else {
            throw SystemError(path: root, operation: "read the pipeline directory", errno: ENOTDIR)
        }
        var reports: [String] = [], svgs: [String] = [], stageReports: [String] = [], evals: [String] = [], shardIndexes: [String] = []
        while let rel = walker.nextObject() as? String {
            let name = (rel as NSString).lastPathComponent
            // Checkpoint directories hold weights only; do not descend into them.
            if name == "checkpoint" || name == "best" { walker.skipDescendants(); continue }
            if name == "report.html" && rel != "report.html" { reports.append(rel) }
            else if rel.hasSuffix(".svg") { svgs.append(rel) }
            else if rel.hasSuffix(".report.json") { stageReports.append(rel) }
            else if name == "eval.txt" { evals.append(rel) }
            else if name == "index.json" { shardIndexes.append((rel as NSString).deletingLastPathComponent) }
        }
        func read(_ rel: String) -> String {
            (try? String(contentsOfFile: (root as NSString).appendingPathComponent(rel), encoding: .utf8)) ?? ""
        }
        func escape(_ s: String) -> String {
            s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
        }
        var h = """
        <!doctype html><html><head><meta charset="utf-8"><title>Spindle pipeline — \(escape(root))</title>
        <style>body{font-family:sans-serif;max-width:980px;margin:2em auto;color:#222}pre{background:#f6f6f6;padding:.6em;overflow-x:auto;font-size:12px}
        h2{border-bottom:1px solid #ddd;padding-bottom:.2em}li{margin:.2em 0}</style></head><body>
        <h1>Spindle pipeline</h1><p>Everything under <code>\(escape(root))</code>: data stages, shards, training runs.</p>
        """
        h += "<h2>Data stages</h2>"
        if stageReports.isEmpty { h += "<p>none</p>" }
        for r in stageReports.sorted() { h += "<h3>\(escape(r))</h3><pre>\(escape(read(r)))</pre>" }
        h += "<h2>Shards</h2><ul>"
        for d in shardIndexes.sorted() { h += "<li><code>\(escape(d))</code> (<code>spindle shards inspect \(escape(d))</code>)</li>" }
        h += "</ul><h2>Training runs</h2><ul>"
        for r in reports.sorted() { h += "<li><a href=\"\(escape(r))\">\(escape((r as NSString).deletingLastPathComponent))</a></li>" }
        h += "</ul>"
        for e in evals.sorted() { h += "<h3>\(escape(e))</h3><pre>\(escape(read(e)))</pre>" }
        for s in svgs.sorted() { h += "<h3>\(escape(s))</h3>\(read(s))" }
        return h + "</body></html>\n"
    }
}
