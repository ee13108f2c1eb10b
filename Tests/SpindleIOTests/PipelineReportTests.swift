import Foundation
import Testing
import SpindleIO
import SpindleTestSupport

/// The pipeline report built from a small pipeline directory laid out as `make` writes it: the numbers
/// in its tables and bars come from the stage reports, runs get curves and links, nothing is fetched.
@Suite struct PipelineReportTests {
    static func write(_ tmp: TempDir, _ rel: String, _ text: String) throws {
        let path = tmp.sub(rel)
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    static func pipeline(_ tmp: TempDir) throws {
        try write(tmp, "dedup.report.json", """
        {"stage": "dedup", "config": {"mode": "near", "threshold": 0.8}, "documents_in": 129, "documents_out": 104,
         "documents_removed": 25, "bytes_in": 222458, "bytes_out": 206529, "seconds": 0.5,
         "removed": [{"id": "a", "duplicate_of": "b", "similarity": 1, "verified": "estimate"},
                     {"id": "c", "duplicate_of": "d", "similarity": 0.85, "verified": "exact"},
                     {"id": "e", "duplicate_of": "f", "similarity": 0.95, "verified": "exact"}]}
        """)
        try write(tmp, "pii.report.json", """
        {"stage": "pii", "config": {"action": "redact"}, "documents_in": 104, "documents_out": 104, "documents_with_pii": 23,
         "spans": {"email": 18, "phone": 13, "iban": 0}, "spans_total": 31}
        """)
        try write(tmp, "upsample.report.json", """
        {"stage": "upsample", "config": {"weights": {"wiki": 2.5, "web": 1}},
         "before": {"wiki": {"documents": 6, "bytes": 100, "est_tokens": 30}, "web": {"documents": 85, "bytes": 900, "est_tokens": 70}},
         "after": {"wiki": {"documents": 15, "bytes": 250, "est_tokens": 75}, "web": {"documents": 85, "bytes": 900, "est_tokens": 75}}}
        """)
        try write(tmp, "tokenizer.vocab", "<unk>\t0\n<s>\t0\n</s>\t0\n<0x00>\t0\n<0x01>\t0\n▁the\t-1\n▁a\t-2\ning\t-3\n42\t-4\n▁aqueduct\t-5\n")
        try write(tmp, "shards/pretrain/index.json", """
        {"shards": [{"raw_data": {"basename": "shard.00000.mds", "bytes": 4000}}], "spindle": {"kind": "pretrain", "seq_len": 256,
         "stats": {"documents": 130, "rows": 4, "tokens": 768, "pad_tokens": 256}, "tokenizer": {"vocab_size": 2000}}}
        """)
        let metrics = (1...50).map { "{\"step\": \($0), \"loss\": \(8.0 - Double($0) * 0.1), \"lr\": 0.0003}" }
            + ["{\"step\": 50, \"eval_loss\": 3.25, \"eval_perplexity\": 25.8}"]
        try write(tmp, "runs/pretrain/metrics.jsonl", metrics.joined(separator: "\n") + "\n")
        try write(tmp, "runs/pretrain/report.html", "<html>pretrain</html>")
        try write(tmp, "runs/rm-helpfulness/metrics.jsonl", "{\"step\": 1, \"loss\": 1.1, \"accuracy\": 0.25}\n{\"step\": 2, \"loss\": 0.9, \"accuracy\": 0.75}\n")
        try write(tmp, "runs/rm-helpfulness/eval.txt", "pairs 27\ndegree significantly_better 1.0000  (8/8)\ndegree better 0.9091  (10/11)\naspect safety 0.5000  (1/2)\naccuracy 0.8889\n")
        try write(tmp, "runs/ppo/metrics.jsonl", "{\"iteration\": 0, \"heldout_reward\": -0.8}\n{\"iteration\": 1, \"reward_combined_mean\": -0.5, \"kl_k1\": 0.01, \"kl_k3\": 0.02}\n{\"iteration\": 2, \"reward_combined_mean\": -0.25, \"kl_k1\": 0.03, \"kl_k3\": 0.04}\n")
        try write(tmp, "runs/rejection-curve/max-reward-vs-k.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"><text>max reward curve</text></svg>")
        try write(tmp, "runs/pretrain/checkpoint/metrics.jsonl", "{\"step\": 1, \"loss\": 99}\n")
    }

    @Test func tablesChartsAndLinksComeFromTheStageReports() throws {
        let tmp = TempDir("pipeline-report"); defer { tmp.cleanup() }
        try Self.pipeline(tmp)
        let page = try PipelineReport.html(root: tmp.path)
        // In and out per stage, with the change.
        #expect(page.contains("<td>documents</td><td>129</td><td>104</td><td>-19.4%</td>"))
        #expect(page.contains("<td>bytes</td><td>222.5 KB</td><td>206.5 KB</td><td>-7.2%</td>"))
        // Dedup: removed by how they were confirmed; similarity buckets.
        #expect(page.contains("near duplicate (exact)</text>"))
        #expect(page.contains(">0.9–1.0</text>"))
        // PII bars by type, biggest first, with the count.
        let email = try #require(page.range(of: ">email</text>")), phone = try #require(page.range(of: ">phone</text>"))
        #expect(email.lowerBound < phone.lowerBound)
        #expect(page.contains(">18</text>"))
        // Up-sampling: per source before and after, and the token shares (75/150 each).
        #expect(page.contains("<td>wiki</td><td>2.5</td><td>6</td><td>15</td>"))
        #expect(page.contains("<td>web</td><td>1</td><td>85</td><td>85</td>"))   // a count of 1 or 0 is a number, not yes/no
        #expect(page.contains(">50.0%</text>"))
        // Tokenizer: 10 pieces, 3 control, 2 byte-fallback, 3 word-initial, 1 digit piece.
        for row in ["<td>pieces</td><td>10</td>", "<td>byte-fallback pieces</td><td>2</td>", "<td>word-initial pieces (▁…)</td><td>3</td>",
                    "<td>digit pieces</td><td>1</td>", "<code>▁aqueduct</code>"] {
            #expect(page.contains(row), "\(row)")
        }
        // Shards: fill = 768 / (4 × 256).
        #expect(page.contains("<td>75.0%</td>"))
        // Runs in pipeline order, linked, with curves; the checkpoint directory is not a run.
        let order = ["id=\"run-runs/pretrain\"", "id=\"run-runs/rm-helpfulness\"", "id=\"run-runs/rejection-curve\"", "id=\"run-runs/ppo\""]
        let at = try order.map { try #require(page.range(of: $0)).lowerBound }
        #expect(at == at.sorted())
        #expect(!page.contains("run-runs/pretrain/checkpoint"))
        #expect(page.contains("<a href=\"runs/pretrain/report.html\">"))
        #expect(page.contains("<td>eval_loss</td><td>3.25 (at 50)</td>"))
        #expect(page.contains(">learning rate</text>") && page.contains(">KL to the reference</text>"))
        #expect(page.contains(">iteration 2</text>"))
        #expect(page.contains(">90.9% (10/11)</text>"))
        #expect(page.contains("max reward curve"))
        // Raw JSON only behind a toggle; nothing external.
        #expect(page.contains("<details><summary>raw JSON: dedup.report.json</summary>"))
        for external in ["<script", "<link", "src=", "https://", "url("] { #expect(!page.contains(external), "\(external)") }
    }

    @Test func linksTakeTheServedBase() throws {
        let tmp = TempDir("pipeline-report-base"); defer { tmp.cleanup() }
        try Self.pipeline(tmp)
        let page = try PipelineReport.html(root: tmp.path, linkBase: "/report/")
        #expect(page.contains("<a href=\"/report/runs/pretrain/report.html\">"))
    }

    @Test func anEmptyDirectorySaysSoAndAMissingOneThrows() throws {
        let tmp = TempDir("pipeline-report-empty"); defer { tmp.cleanup() }
        try FileManager.default.createDirectory(atPath: tmp.path, withIntermediateDirectories: true)
        let page = try PipelineReport.html(root: tmp.path)
        #expect(page.contains("<h2 id=\"runs\">Training runs</h2><p>none</p>"))
        #expect(throws: (any Error).self) { try PipelineReport.html(root: tmp.sub("missing")) }
    }
}
