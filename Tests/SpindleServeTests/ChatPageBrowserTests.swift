// The chat page in a real browser: headless Chromium (Debian's `chromium`) loads `/`, the page sends a
// first message, a second one is typed into the box and sent with Enter; both answers stream into the
// DOM and equal what the API answers for the same conversation, seed and settings.
import Foundation
import Testing
import SpindleTestSupport

@Suite(.requires(ServeFixture.ready))
struct ChatPageBrowserTests {
    static func chat(port: Int, _ messages: [[String: String]]) throws -> String {
        let body: [String: Any] = ["messages": messages, "seed": 4, "temperature": 0.5, "top_p": 0.9, "max_tokens": 10]
        let text = String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self)
        let r = try HTTPTestClient.post(port: port, "/v1/chat/completions", text)
        return ServeAPITests.content(ServeAPITests.choices(r)[0])
    }

    @Test(.requires(.tool("chromium")), .requires(.tool("python3")))
    func typedMessagesStreamIntoThePage() throws {
        let s = try ServeProcess()
        defer { s.stop() }
        let t = TempDir("chat-page")
        defer { t.cleanup() }
        let url = "http://127.0.0.1:\(s.port)/?say=Tell%20me%20about%20coral&seed=4&max_tokens=10&temperature=0.5&top_p=0.9&system=Be%20brief."
        let shot = t.sub("chat.png")
        let out = try runProcess("python3", [TestPaths.package("Tests/SpindleServeTests/chat_page.py"), "chromium", url, shot, "And about bread?"])
        #expect(out.status == 0, "\(out.stderr)")
        let page = try #require(try JSONSerialization.jsonObject(with: out.stdoutData) as? [String: Any], "\(out.output)")
        let answers = try #require(page["answers"] as? [String])
        #expect(page["users"] as? [String] == ["Tell me about coral", "And about bread?"])
        try #require(answers.count == 2)
        let first = try Self.chat(port: s.port, [["role": "system", "content": "Be brief."], ["role": "user", "content": "Tell me about coral"]])
        #expect(!first.isEmpty && answers[0] == first)
        let second = try Self.chat(port: s.port, [["role": "system", "content": "Be brief."], ["role": "user", "content": "Tell me about coral"],
                                                   ["role": "assistant", "content": first], ["role": "user", "content": "And about bread?"]])
        #expect(answers[1] == second)
        #expect(readBytes(shot).starts(with: [0x89, 0x50, 0x4E, 0x47]))   // a PNG screenshot
        if let keep = ProcessInfo.processInfo.environment["SPINDLE_SCREENSHOTS"] {
            try? FileManager.default.createDirectory(atPath: keep, withIntermediateDirectories: true)
            try? FileManager.default.removeItem(atPath: keep + "/chat.png")
            try? FileManager.default.copyItem(atPath: shot, toPath: keep + "/chat.png")
        }
    }
}
