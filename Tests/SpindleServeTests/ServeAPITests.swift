// `spindle serve` over real HTTP: every endpoint, streaming equal to the whole answer for the same
// seed, n > 1, stop sequences, concurrent requests, refusals as OpenAI error bodies.
import Foundation
import Testing
import SpindleTestSupport
import SpindleShards
import SpindleTokenizer

@Suite(.serialized, .requires(ServeFixture.ready))
struct ServeAPITests {
    static func chatBody(_ content: String, _ extra: String = "") -> String {
        #"{"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "\#(content)"}]\#(extra)}"#
    }

    /// The concatenated `content` (chat) or `text` (completions) of every chunk of choice `row`.
    static func streamed(_ reply: HTTPReply, row: Int = 0) throws -> (text: String, finish: String?, usage: [String: Any]?) {
        var text = "", finish: String? = nil, usage: [String: Any]? = nil
        let events = HTTPTestClient.events(reply.body)
        #expect(events.last == "[DONE]")
        for e in events.dropLast() {
            let obj = try #require(try JSONSerialization.jsonObject(with: Data(e.utf8)) as? [String: Any])
            if let u = obj["usage"] as? [String: Any] { usage = u }
            for c in obj["choices"] as? [[String: Any]] ?? [] where c["index"] as? Int == row {
                text += (c["delta"] as? [String: Any])?["content"] as? String ?? c["text"] as? String ?? ""
                if let f = c["finish_reason"] as? String { finish = f }
            }
        }
        return (text, finish, usage)
    }

    static func choices(_ r: HTTPReply) -> [[String: Any]] { r.json["choices"] as? [[String: Any]] ?? [] }
    static func content(_ c: [String: Any]) -> String { (c["message"] as? [String: Any])?["content"] as? String ?? c["text"] as? String ?? "" }

    @Test func healthModelsPageAndUnknownRoutes() throws {
        let s = try ServeProcess(extra: ["--model-name", "tiny"])
        defer { s.stop() }
        let health = try HTTPTestClient.request(port: s.port, "GET", "/health")
        #expect(health.status == 200 && health.json["status"] as? String == "ok")
        let models = try HTTPTestClient.request(port: s.port, "GET", "/v1/models")
        let data = try #require(models.json["data"] as? [[String: Any]])
        #expect(data.map { $0["id"] as? String } == ["tiny"])
        let page = try HTTPTestClient.request(port: s.port, "GET", "/")
        #expect(page.status == 200 && page.headers["content-type"]?.hasPrefix("text/html") == true)
        #expect(page.text.contains("<title>Spindle chat</title>") && !page.text.contains("http://") && !page.text.contains("https://"))
        let missing = try HTTPTestClient.request(port: s.port, "GET", "/v2/nothing")
        #expect(missing.status == 404 && (missing.json["error"] as? [String: Any])?["code"] as? String == "unknown_url")
        let wrongMethod = try HTTPTestClient.request(port: s.port, "GET", "/v1/chat/completions")
        #expect(wrongMethod.status == 405)
        let wrongModel = try HTTPTestClient.post(port: s.port, "/v1/chat/completions", Self.chatBody("Hi", #", "model": "gpt-4""#))
        #expect(wrongModel.status == 404 && (wrongModel.json["error"] as? [String: Any])?["code"] as? String == "model_not_found")
    }

    @Test func streamedChatEqualsWholeAnswerForTheSameSeed() throws {
        let s = try ServeProcess()
        defer { s.stop() }
        let body = Self.chatBody("Tell me about coral reefs.", #", "max_tokens": 40, "seed": 7, "temperature": 0.9, "top_p": 0.95"#)
        let whole = try HTTPTestClient.post(port: s.port, "/v1/chat/completions", body)
        #expect(whole.status == 200 && whole.json["object"] as? String == "chat.completion")
        let choice = try #require(Self.choices(whole).first)
        let text = Self.content(choice)
        #expect(!text.isEmpty)
        let usage = try #require(whole.json["usage"] as? [String: Int])
        // The prompt is the Llama 2 chat rendering of the two messages.
        let sp = try SentencePieceModel(contentsOf: ServeFixture.tokenizer)
        let rendered = try Llama2ChatTemplate(encoder: sp).renderPrompt([ChatMessage(.system, "Be brief."), ChatMessage(.user, "Tell me about coral reefs.")])
        #expect(usage["prompt_tokens"] == rendered.count)
        #expect(usage["total_tokens"] == usage["prompt_tokens"]! + usage["completion_tokens"]!)
        if choice["finish_reason"] as? String == "length" { #expect(usage["completion_tokens"] == 40) }

        let stream = try HTTPTestClient.post(port: s.port, "/v1/chat/completions", String(body.dropLast()) + #", "stream": true}"#)
        #expect(stream.status == 200 && stream.headers["content-type"] == "text/event-stream")
        let (streamedText, finish, streamUsage) = try Self.streamed(stream)
        #expect(streamedText == text)
        #expect(finish == choice["finish_reason"] as? String)
        #expect(streamUsage?["completion_tokens"] as? Int == usage["completion_tokens"])
        #expect(HTTPTestClient.events(stream.body).count > 4)   // role, several pieces, finish, usage, [DONE]

        // Another seed samples another answer (the seed is used, not ignored).
        let other = try HTTPTestClient.post(port: s.port, "/v1/chat/completions", body.replacingOccurrences(of: #""seed": 7"#, with: #""seed": 8"#))
        #expect(Self.content(Self.choices(other)[0]) != text)
    }

    @Test func completionsWithSeveralAnswersDecodedTogether() throws {
        let s = try ServeProcess()
        defer { s.stop() }
        let body = #"{"prompt": "The history of the bicycle", "max_tokens": 24, "n": 3, "seed": 1, "temperature": 1}"#
        let whole = try HTTPTestClient.post(port: s.port, "/v1/completions", body)
        #expect(whole.status == 200 && whole.json["object"] as? String == "text_completion")
        let texts = Self.choices(whole).map(Self.content)
        #expect(texts.count == 3)
        #expect(Set(texts).count > 1)   // each row samples with its own seed
        let usage = try #require(whole.json["usage"] as? [String: Int])
        #expect(usage["prompt_tokens"] == SentencePieceModelCache.tok.encode("The history of the bicycle", addBOS: true).count)
        let stream = try HTTPTestClient.post(port: s.port, "/v1/completions", String(body.dropLast()) + #", "stream": true}"#)
        for row in 0..<3 { #expect(try Self.streamed(stream, row: row).text == texts[row]) }
    }

    @Test func stopSequencesEndTheAnswerBeforeThem() throws {
        let s = try ServeProcess()
        defer { s.stop() }
        let base = #"{"prompt": "Bread is made", "max_tokens": 60, "temperature": 0"#
        let full = Self.content(Self.choices(try HTTPTestClient.post(port: s.port, "/v1/completions", base + "}"))[0])
        // A stop sequence taken from the middle of the greedy answer: the answer ends just before it.
        let chars = Array(full)
        try #require(chars.count >= 12, "the greedy answer is too short: \(full)")
        let stop = String(chars[8..<11])
        let expected = String(full[..<full.range(of: stop)!.lowerBound])
        let stopBody = base + #", "stop": ["zzzq", "\#(stop.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\""))"]"#
        let stopped = Self.choices(try HTTPTestClient.post(port: s.port, "/v1/completions", stopBody + "}"))[0]
        #expect(Self.content(stopped) == expected)
        #expect(stopped["finish_reason"] as? String == "stop")
        let stream = try Self.streamed(try HTTPTestClient.post(port: s.port, "/v1/completions", stopBody + #", "stream": true}"#))
        #expect(stream.text == expected && stream.finish == "stop")
    }

    @Test func concurrentRequestsAllAnswerAsTheyWouldAlone() throws {
        let s = try ServeProcess()
        defer { s.stop() }
        let bodies = (0..<6).map { #"{"prompt": "Coral reefs \#($0)", "max_tokens": 16, "seed": \#($0)}"# }
        let alone = try bodies.map { Self.content(Self.choices(try HTTPTestClient.post(port: s.port, "/v1/completions", $0))[0]) }
        let together = Locked([Int: String]())
        let port = s.port
        DispatchQueue.concurrentPerform(iterations: bodies.count) { i in
            let r = try? HTTPTestClient.post(port: port, "/v1/completions", bodies[i])
            together.withLock { $0[i] = r.flatMap { $0.status == 200 ? Self.content(Self.choices($0)[0]) : nil } }
        }
        let answers = together.withLock { $0 }
        #expect((0..<bodies.count).map { answers[$0] } == alone.map { Optional($0) })
    }

    @Test(arguments: [
        ("{bad json", "", nil as String?),
        (#"[1, 2]"#, "", nil),
        (#"{"messages": []}"#, "messages", nil),
        (#"{"messages": [{"role": "robot", "content": "hi"}]}"#, "messages[0].role", nil),
        (#"{"messages": [{"role": "user", "content": 5}]}"#, "messages[0].content", nil),
        (#"{"messages": [{"role": "assistant", "content": "hi"}]}"#, "messages", nil),
        (#"{"messages": [{"role": "user", "content": "hi"}], "temperature": "hot"}"#, "temperature", nil),
        (#"{"messages": [{"role": "user", "content": "hi"}], "temperature": 3}"#, "temperature", nil),
        (#"{"messages": [{"role": "user", "content": "hi"}], "top_p": 0}"#, "top_p", nil),
        (#"{"messages": [{"role": "user", "content": "hi"}], "n": 0}"#, "n", nil),
        (#"{"messages": [{"role": "user", "content": "hi"}], "n": 100}"#, "n", nil),
        (#"{"messages": [{"role": "user", "content": "hi"}], "max_tokens": 0}"#, "max_tokens", nil),
        (#"{"messages": [{"role": "user", "content": "hi"}], "max_tokens": 1.5}"#, "max_tokens", nil),
        (#"{"messages": [{"role": "user", "content": "hi"}], "max_tokens": 5000}"#, "max_tokens", "context_length_exceeded"),
        (#"{"messages": [{"role": "user", "content": "hi"}], "stop": ["a", "b", "c", "d", "e"]}"#, "stop", nil),
        (#"{"messages": [{"role": "user", "content": "hi"}], "stop": [""]}"#, "stop", nil),
        (#"{"messages": [{"role": "user", "content": "hi"}], "stream": "yes"}"#, "stream", nil),
        (#"{"messages": [{"role": "user", "content": "hi"}], "frequency_penalty": 1}"#, "frequency_penalty", nil),
        (#"{"messages": [{"role": "user", "content": "hi"}], "tools": []}"#, "tools", nil),
    ])
    func malformedChatRequestsGet400(body: String, param: String, code: String?) throws {
        let s = try ServeProcess()
        defer { s.stop() }
        let r = try HTTPTestClient.post(port: s.port, "/v1/chat/completions", body)
        #expect(r.status == 400, "\(body) -> \(r.status) \(r.text)")
        let err = try #require(r.json["error"] as? [String: Any], "\(r.text)")
        #expect(err["type"] as? String == "invalid_request_error")
        #expect(!(err["message"] as? String ?? "").isEmpty)
        #expect((err["param"] as? String ?? "") == param, "\(r.text)")
        if let code { #expect(err["code"] as? String == code) }
        #expect(try HTTPTestClient.request(port: s.port, "GET", "/health").status == 200)   // still serving
    }

    @Test func aPromptLongerThanTheContextIs400() throws {
        let s = try ServeProcess()
        defer { s.stop() }
        let long = String(repeating: "coral reefs and bicycles ", count: 80)
        let r = try HTTPTestClient.post(port: s.port, "/v1/completions", #"{"prompt": "\#(long)"}"#)
        #expect(r.status == 400 && (r.json["error"] as? [String: Any])?["code"] as? String == "context_length_exceeded", "\(r.text)")
        let empty = try HTTPTestClient.post(port: s.port, "/v1/completions", "")
        #expect(empty.status == 400)
    }
}

enum SentencePieceModelCache {
    static let tok = try! SentencePieceModel(contentsOf: ServeFixture.tokenizer)
}
