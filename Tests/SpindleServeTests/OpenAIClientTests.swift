// The official `openai` Python client (SPINDLE_PYTHON's) talks to `spindle serve`.
import Foundation
import Testing
import SpindleTestSupport

@Suite(.requires(ServeFixture.ready))
struct OpenAIClientTests {
    @Test(.requires(.python("openai")))
    func officialClientChatsStreamsAndSeesErrors() throws {
        let s = try ServeProcess(extra: ["--model-name", "tiny-llama"])
        defer { s.stop() }
        let script = TestPaths.package("Tests/SpindleServeTests/openai_client.py")
        let out = try Python.run([script, String(s.port), "tiny-llama"])
        #expect(out.status == 0, "\(out.stderr)")
        let r = try #require(try JSONSerialization.jsonObject(with: out.stdoutData) as? [String: Any], "\(out.output)")
        #expect(r["models"] as? [String] == ["tiny-llama"])
        let whole = try #require(r["whole"] as? String)
        #expect(!whole.isEmpty && r["streamed"] as? String == whole)
        #expect(r["stream_finish"] as? String == r["whole_finish"] as? String)
        let usage = try #require(r["usage"] as? [String: Any])
        #expect((usage["prompt_tokens"] as? Int ?? 0) > 0 && (usage["completion_tokens"] as? Int ?? 0) > 0)
        #expect((r["texts"] as? [String])?.count == 2)
        let error = try #require(r["error"] as? [String: Any])
        #expect(error["status"] as? Int == 400)
    }
}
