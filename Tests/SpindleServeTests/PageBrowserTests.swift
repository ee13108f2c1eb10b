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

    /// POST /v1/chat/completions with `messages` and `fields`.
    static func complete(port: Int, _ messages: [[String: String]], _ fields: [String: Any]) throws -> HTTPReply {
        let body = fields.merging(["messages": messages]) { a, _ in a }
        return try HTTPTestClient.post(port: port, "/v1/chat/completions",
                                       String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self))
    }

    /// The answer the page's settings get (seed 4, temperature 0.5, top-p 0.9; `max_tokens` 10, or nil: the server's).
    static func chat(port: Int, _ messages: [[String: String]], maxTokens: Int? = 10) throws -> String {
        var fields: [String: Any] = ["seed": 4, "temperature": 0.5, "top_p": 0.9]
        if let maxTokens { fields["max_tokens"] = maxTokens }
        return ServeAPITests.content(ServeAPITests.choices(try complete(port: port, messages, fields))[0])
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

    /// A conversation that outgrows the context keeps its latest turns: with the max-tokens box blank the
    /// server sizes the first answer to the room left, the second question then no longer fits with the
    /// first exchange, and the page sends it again without that exchange (instead of showing the 400).
    @Test(.requires(.tool("chromium")), .requires(.tool("python3")))
    func aConversationPastTheContextDropsItsOldestExchange() throws {
        let s = try ServeProcess()
        defer { s.stop() }
        let t = TempDir("chat-page-context")
        defer { t.cleanup() }
        let question = "Tell me about coral"
        func ask(_ words: Int) throws -> HTTPReply {   // system prompt of `words` words + the question
            try Self.complete(port: s.port, [["role": "system", "content": Array(repeating: "a", count: words).joined(separator: " ")],
                                             ["role": "user", "content": question]], ["max_tokens": 1])
        }
        func prompt(_ words: Int) throws -> Int? {   // its prompt tokens, nil when refused
            let r = try ask(words)
            return r.status == 200 ? (r.json["usage"] as? [String: Any])?["prompt_tokens"] as? Int : nil
        }
        // The context, from the refusal of a prompt far too long ("maximum context length is N tokens").
        let refusal = ((try ask(20_000).json["error"] as? [String: Any])?["message"] as? String) ?? ""
        let context = try #require(Int(refusal.components(separatedBy: "context length is ").last?.split(separator: " ").first ?? ""), "\(refusal)")
        var (lo, hi) = (1, 20_000)   // the most words whose prompt leaves 4–8 tokens of the context
        while lo < hi { let mid = (lo + hi + 1) / 2; if let p = try prompt(mid), p <= context - 4 { lo = mid } else { hi = mid - 1 } }
        let p = try #require(try prompt(lo))
        try #require(p >= context - 8, "the system prompt cannot be sized: \(p) tokens of \(context)")
        let system = Array(repeating: "a", count: lo).joined(separator: " ")   // as the page sends it: trimmed
        let url = "http://127.0.0.1:\(s.port)/?say=\(question.replacingOccurrences(of: " ", with: "%20"))&seed=4&temperature=0.5&top_p=0.9"
            + "&system=" + system.replacingOccurrences(of: " ", with: "%20")
        let out = try runProcess("python3", [Self.script, "chat", "chromium", url, t.sub("chat.png"), question])
        #expect(out.status == 0, "\(out.stderr)")
        let page = try #require(try JSONSerialization.jsonObject(with: out.stdoutData) as? [String: Any], "\(out.output)")
        let answers = try #require(page["answers"] as? [String])
        try #require(answers.count == 2)
        let alone = try Self.chat(port: s.port, [["role": "system", "content": system], ["role": "user", "content": question]], maxTokens: nil)
        #expect(!answers[1].hasPrefix("Error") && answers[1] == alone, "\(answers) alone: \(alone) prompt \(p) of \(context)")
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
