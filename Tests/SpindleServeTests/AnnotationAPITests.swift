// `spindle serve --annotate`: tokens gate access, a pair is two answers, a judgement becomes one
// preference record that `spindle pack preference` reads, and a restart resumes each session.
import Foundation
import Testing
import SpindleTestSupport

@Suite(.serialized, .requires(ServeFixture.ready))
struct AnnotationAPITests {
    static let alice = "alice-token-0123456789", bob = "bob-token-9876543210"

    static func server(_ t: TempDir) throws -> ServeProcess {
        try t.write("annotators.txt", "# who may annotate\nalice \(alice)\nbob \(bob)\n")
        return try ServeProcess(extra: ["--annotate", t.sub("pairs.jsonl"), "--annotators", t.sub("annotators.txt"), "--max-tokens", "12"])
    }

    static func call(_ port: Int, _ method: String, _ path: String, token: String?, _ body: String? = nil) throws -> HTTPReply {
        try HTTPTestClient.request(port: port, method, path, body: body, headers: token.map { ["Authorization": "Bearer \($0)"] } ?? [:])
    }

    @Test func judgementsBecomePreferenceRecordsAndSessionsResume() throws {
        let t = TempDir("annotate")
        defer { t.cleanup() }
        var s = try Self.server(t)
        defer { s.stop() }
        #expect(try Self.call(s.port, "GET", "/annotate/session", token: nil).status == 401)
        #expect(try Self.call(s.port, "GET", "/annotate/session", token: "wrong-token-123456").status == 401)
        #expect(try Self.call(s.port, "GET", "/annotate", token: nil).text.contains("<title>Spindle annotation</title>"))
        let session = try Self.call(s.port, "GET", "/annotate/session", token: Self.alice).json
        #expect(session["annotator"] as? String == "alice" && session["count"] as? Int == 0)

        let pair = try Self.call(s.port, "POST", "/annotate/pair", token: Self.alice,
                                 #"{"messages": [{"role": "user", "content": "How do coral reefs grow?"}]}"#).json
        let id = try #require(pair["pair_id"] as? String)
        let left = try #require(pair["left"] as? String), right = try #require(pair["right"] as? String)
        // Safety judgements need the safety label; another annotator cannot judge alice's pair.
        let noLabel = try Self.call(s.port, "POST", "/annotate/judgement", token: Self.alice,
                                    #"{"pair_id": "\#(id)", "better": "right", "degree": "better", "aspect": "safety"}"#)
        #expect(noLabel.status == 400)
        let judgement = #"{"pair_id": "\#(id)", "better": "right", "degree": "slightly_better", "aspect": "safety", "safety": "both_safe"}"#
        #expect(try Self.call(s.port, "POST", "/annotate/judgement", token: Self.bob, judgement).status == 400)
        let saved = try Self.call(s.port, "POST", "/annotate/judgement", token: Self.alice, judgement)
        #expect(saved.status == 200 && saved.json["count"] as? Int == 1, "\(saved.text)")
        #expect(try Self.call(s.port, "POST", "/annotate/judgement", token: Self.alice, judgement).status == 400)   // judged once

        let lines = try t.read("pairs.jsonl").split(separator: "\n")
        try #require(lines.count == 1)
        let record = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(record["chosen"] as? String == right && record["rejected"] as? String == left)
        #expect(record["degree"] as? String == "slightly_better" && record["aspect"] as? String == "safety")
        #expect(record["safety"] as? String == "both_safe" && record["annotator"] as? String == "alice" && record["id"] as? String == "alice-1")
        #expect(Set([record["chosen_variant"] as? String, record["rejected_variant"] as? String]) == ["temperature=0.7", "temperature=1.0"])
        let export = try Self.call(s.port, "GET", "/annotate/export", token: Self.bob).json
        #expect(export["total"] as? Int == 1 && (export["per_annotator"] as? [String: Int]) == ["alice": 1])

        // A restart resumes: alice's count and her dialogue, continued by the chosen answer.
        s.stop()
        s = try Self.server(t)
        let resumed = try Self.call(s.port, "GET", "/annotate/session", token: Self.alice).json
        #expect(resumed["count"] as? Int == 1)
        let dialogue = try #require(resumed["dialogue"] as? [[String: String]])
        #expect(dialogue.map { $0["role"] } == ["user", "assistant"] && dialogue.last?["content"] == right)

        // `spindle pack preference` reads the file as it is.
        let pack = try SpindleBinary.run(["pack", "preference", "--tokenizer", ServeFixture.tokenizer, "--seq-len", "128",
                                          "-o", t.sub("shards"), t.sub("pairs.jsonl")])
        #expect(pack.status == 0, "\(pack.stderr)")
    }

    @Test func theSecondAnswerCanComeFromAnotherCheckpoint() throws {
        let t = TempDir("annotate-two")
        defer { t.cleanup() }
        try t.write("annotators.txt", "alice \(Self.alice)\n")
        let s = try ServeProcess(extra: ["--annotate", t.sub("pairs.jsonl"), "--annotators", t.sub("annotators.txt"), "--max-tokens", "8",
                                         "--annotate-checkpoint", ServeFixture.slowCheckpoint, "--annotate-temperatures", "0.5,0.9"])
        defer { s.stop() }
        let pair = try Self.call(s.port, "POST", "/annotate/pair", token: Self.alice, #"{"messages": [{"role": "user", "content": "Hi"}]}"#).json
        let id = try #require(pair["pair_id"] as? String)
        let saved = try Self.call(s.port, "POST", "/annotate/judgement", token: Self.alice,
                                  #"{"pair_id": "\#(id)", "better": "left", "degree": "better", "aspect": "helpfulness"}"#)
        #expect(saved.status == 200, "\(saved.text)")
        let record = try #require(try JSONSerialization.jsonObject(with: Data(try t.read("pairs.jsonl").utf8)) as? [String: Any])
        #expect(Set([record["chosen_variant"] as? String, record["rejected_variant"] as? String])
                == ["temperature=0.5", "checkpoint=\(ServeFixture.slowCheckpoint) temperature=0.9"])
        #expect(record["safety"] == nil)
    }
}
