// `serve --report DIR`: the pipeline report at /report, the run pages it links to under /report/…, and
// nothing else from DIR.
import Foundation
import Testing
import SpindleTestSupport

@Suite(.serialized, .requires(ServeFixture.ready))
struct ReportRouteTests {
    @Test func theReportAndItsRunPagesAreServedAndNothingElse() throws {
        let tmp = TempDir("serve-report"); defer { tmp.cleanup() }
        try FileManager.default.createDirectory(atPath: tmp.sub("runs/sft"), withIntermediateDirectories: true)
        try #"{"stage": "pii", "documents_in": 10, "documents_out": 9, "spans": {"email": 4}}"#.write(toFile: tmp.sub("pii.report.json"), atomically: true, encoding: .utf8)
        try "{\"step\": 1, \"loss\": 5.5}\n{\"step\": 2, \"loss\": 4.5}\n".write(toFile: tmp.sub("runs/sft/metrics.jsonl"), atomically: true, encoding: .utf8)
        try "<html>the sft run</html>".write(toFile: tmp.sub("runs/sft/report.html"), atomically: true, encoding: .utf8)
        let s = try ServeProcess(extra: ["--report", tmp.path])
        defer { s.stop() }
        let page = try HTTPTestClient.request(port: s.port, "GET", "/report")
        #expect(page.status == 200 && page.headers["content-type"]?.hasPrefix("text/html") == true)
        #expect(page.text.contains("<td>documents</td><td>10</td><td>9</td><td>-10.0%</td>"))
        #expect(page.text.contains("<a href=\"/report/runs/sft/report.html\">"))
        let run = try HTTPTestClient.request(port: s.port, "GET", "/report/runs/sft/report.html")
        #expect(run.status == 200 && run.text == "<html>the sft run</html>")
        for path in ["/report/pii.report.json", "/report/runs/sft/metrics.jsonl", "/report/../report.html", "/report/%2E%2E/x/report.html",
                     "/report/.hidden/report.html"] {
            #expect(try HTTPTestClient.request(port: s.port, "GET", path).status == 404, "\(path)")
        }
        #expect(try HTTPTestClient.request(port: s.port, "POST", "/report", body: "{}").status == 405)
        let none = try ServeProcess()
        defer { none.stop() }
        #expect(try HTTPTestClient.request(port: none.port, "GET", "/report").status == 404)
        let missing = try SpindleBinary.run(["serve", "--checkpoint", ServeFixture.checkpoint, "--tokenizer", ServeFixture.tokenizer,
                                             "--report", tmp.sub("nowhere")])
        #expect(missing.status == 66, "\(missing.stderr)")
    }
}
