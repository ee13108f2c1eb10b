// The pages in a real browser, headless Chromium (Debian's `chromium`) driven by browser_check.py.
// Chat: `/` sends a first message, a second one is typed into the box and sent with Enter; both answers
// stream into the DOM and equal what the API answers for the same conversation, seed and settings.
// Annotation: a prompt is typed, two answers shown, the judgement clicked and saved; the record is in
// the file.
import Foundation
import Testing
import SpindleTestSupport

@Suite(.requires(ServeFixture.ready))
struct PageBrowserTests {
    static let script = TestPaths.package("Tests/SpindleServeTests/browser_check.py")

    static func keep(_ shot: String, as name: String) {
        guard let dir = ProcessInfo.processInfo.environment["SPINDLE_SCREENSHOTS"] else { return }
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try? FileManager.default.removeItem(atPath: dir + "/" + name)
        try? FileManager.default.copyItem(atPath: shot, toPath: dir + "/" + name)
    }

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
        let out = try runProcess("python3", [Self.script, "chat", "chromium", url, shot, "And about bread?"])
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
        Self.keep(shot, as: "chat.png")
    }

    @Test(.requires(.tool("chromium")), .requires(.tool("python3")))
    func anAnnotatorComparesGradesAndSaves() throws {
        let t = TempDir("annotate-page")
        defer { t.cleanup() }
        let token = "carol-token-0123456789"
        try t.write("annotators.txt", "carol \(token)\n")
        let s = try ServeProcess(extra: ["--annotate", t.sub("pairs.jsonl"), "--annotators", t.sub("annotators.txt"), "--max-tokens", "16"])
        defer { s.stop() }
        let shot = t.sub("annotate.png")
        let out = try runProcess("python3", [Self.script, "annotate", "chromium", "http://127.0.0.1:\(s.port)/annotate#token=\(token)",
                                             shot, "Why is the sea salty?"])
        #expect(out.status == 0, "\(out.stderr)")
        let page = try #require(try JSONSerialization.jsonObject(with: out.stdoutData) as? [String: Any], "\(out.output)")
        #expect(page["saved"] as? String == "carol-1")
        let lines = try t.read("pairs.jsonl").split(separator: "\n")
        try #require(lines.count == 1)
        let record = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        // The page showed both answers; B (right) was clicked as slightly better for safety, both safe.
        #expect(record["chosen"] as? String == page["right"] as? String && record["rejected"] as? String == page["left"] as? String)
        #expect(record["degree"] as? String == "slightly_better" && record["aspect"] as? String == "safety" && record["safety"] as? String == "both_safe")
        #expect(page["dialogue"] as? [String] == ["Why is the sea salty?", page["right"] as? String ?? "?"])   // the chosen answer continues
        #expect(readBytes(shot).starts(with: [0x89, 0x50, 0x4E, 0x47]))
        Self.keep(shot, as: "annotate.png")
        Self.keep(t.sub("annotate-pair.png"), as: "annotate-pair.png")
    }
}
