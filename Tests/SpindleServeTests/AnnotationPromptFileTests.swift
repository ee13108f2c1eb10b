// `serve --annotate-prompts FILE --annotate-overlap K`: pairs come from the prompt file, each shown to K
// annotators (the same answers on the same sides), a pair shown and not judged survives a restart, and
// the export gives agreement on the chosen side (percent, Fleiss' and Cohen's kappa).
import Foundation
import Testing
import SpindleTestSupport
@testable import SpindleServe

@Suite(.serialized, .requires(ServeFixture.ready))
struct AnnotationPromptFileTests {
    static let tokens = ["alice": "alice-token-0123456789", "bob": "bob-token-9876543210", "carol": "carol-token-5555555555"]

    static func server(_ t: TempDir) throws -> ServeProcess {
        try t.write("annotators.txt", tokens.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: "\n") + "\n")
        try t.write("prompts.jsonl", """
        {"prompt": "Tell me about coral."}
        {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Why do tides happen?"}]}
        {"prompt": "Bake bread."}

        """)
        return try ServeProcess(extra: ["--annotate", t.sub("pairs.jsonl"), "--annotators", t.sub("annotators.txt"), "--max-tokens", "8",
                                        "--annotate-prompts", t.sub("prompts.jsonl"), "--annotate-overlap", "2"])
    }

    static func call(_ port: Int, _ who: String, _ method: String, _ path: String, _ body: String? = nil) throws -> [String: Any] {
        let r = try HTTPTestClient.request(port: port, method, path, body: body, headers: ["Authorization": "Bearer \(tokens[who]!)"])
        #expect(r.status == 200, "\(path): \(r.text)")
        return r.json
    }

    static func judge(_ port: Int, _ who: String, _ pair: String, _ side: String) throws {
        let saved = try call(port, who, "POST", "/annotate/judgement",
                             #"{"pair_id": "\#(pair)", "better": "\#(side)", "degree": "better", "aspect": "helpfulness"}"#)
        #expect(saved["saved"] as? Bool == true)
    }

    @Test func pairsFromTheFileGoToKAnnotatorsSurviveARestartAndGiveAgreement() throws {
        let t = TempDir("annotate-prompts")
        defer { t.cleanup() }
        var s = try Self.server(t)
        defer { s.stop() }
        let a1 = try Self.call(s.port, "alice", "POST", "/annotate/next", "{}")
        let b1 = try Self.call(s.port, "bob", "POST", "/annotate/next", "{}")
        let c1 = try Self.call(s.port, "carol", "POST", "/annotate/next", "{}")
        let p1 = try #require(a1["pair_id"] as? String), p2 = try #require(c1["pair_id"] as? String)
        #expect(b1["pair_id"] as? String == p1 && b1["left"] as? String == a1["left"] as? String && b1["right"] as? String == a1["right"] as? String)
        #expect(p2 != p1)
        #expect(((c1["messages"] as? [[String: Any]])?.last?["content"] as? String) == "Why do tides happen?")
        #expect(try Self.call(s.port, "alice", "POST", "/annotate/next", "{}")["pair_id"] as? String == p1)   // still waiting
        // A restart: each annotator finds the pair they were shown.
        s.stop()
        s = try Self.server(t)
        let session = try Self.call(s.port, "bob", "GET", "/annotate/session")
        let waiting = try #require(session["waiting"] as? [String: Any])
        #expect(waiting["pair_id"] as? String == p1 && waiting["left"] as? String == a1["left"] as? String)
        #expect((session["prompt_file"] as? [String: Any])?["sampled"] as? Int == 2)
        try Self.judge(s.port, "alice", p1, "left")
        try Self.judge(s.port, "bob", p1, "right")
        try Self.judge(s.port, "carol", p2, "left")
        #expect(try Self.call(s.port, "alice", "POST", "/annotate/next", "{}")["pair_id"] as? String == p2)   // carol's, one show left
        try Self.judge(s.port, "alice", p2, "left")
        let b3 = try Self.call(s.port, "bob", "POST", "/annotate/next", "{}")                                   // p2 has its two: a new prompt
        #expect(((b3["messages"] as? [[String: Any]])?.last?["content"] as? String) == "Bake bread.")
        let x = try Self.call(s.port, "alice", "GET", "/annotate/export")
        let a = try #require(x["agreement"] as? [String: Any])
        // p1: left/right, p2: left/left. Percent 50; Fleiss: P̄ = 0.5, p = (3/4, 1/4), Pe = 0.625, κ = −1/3.
        #expect(a["pairs"] as? Int == 2 && a["judgements"] as? Int == 4)
        #expect(a["percent_agreement"] as? Double == 50 && a["fleiss_kappa"] as? Double == -0.3333, "\(a)")
        let cohen = try #require(a["cohen_kappa"] as? [[String: Any]])
        #expect(cohen.map { ($0["annotators"] as? [String] ?? []).joined(separator: "/") } == ["alice/bob", "alice/carol"])
        #expect(cohen[0]["kappa"] as? Double == 0 && cohen[1]["kappa"] is NSNull)
        // Every prompt sampled: the third annotator in line gets the last pair, then the file is done.
        #expect(try Self.call(s.port, "carol", "POST", "/annotate/next", "{}")["pair_id"] as? String == b3["pair_id"] as? String)
        try Self.judge(s.port, "carol", try #require(b3["pair_id"] as? String), "right")
        #expect(try Self.call(s.port, "carol", "POST", "/annotate/next", "{}")["done"] as? Bool == true)
        let records = try String(contentsOfFile: t.sub("pairs.jsonl"), encoding: .utf8).split(separator: "\n")
        #expect(records.count == 5 && records.allSatisfy { $0.contains(#""chosen_side""#) })
    }

    @Test func aPromptFileIsCheckedLineByLine() throws {
        let t = TempDir("annotate-prompts-bad")
        defer { t.cleanup() }
        try t.write("a.txt", "alice alice-token-0123456789\n")
        try t.write("bad.jsonl", "{\"prompt\": \"ok\"}\n{\"messages\": [{\"role\": \"assistant\", \"content\": \"hi\"}]}\n")
        let r = try SpindleBinary.run(["serve", "--checkpoint", ServeFixture.checkpoint, "--tokenizer", ServeFixture.tokenizer, "--port", "0",
                                       "--annotate", t.sub("p.jsonl"), "--annotators", t.sub("a.txt"), "--annotate-prompts", t.sub("bad.jsonl")])
        #expect(r.status == 65 && r.stderr.contains("bad.jsonl:2: messages: must end with a user turn"), "\(r.stderr)")
        try t.write("plain.txt", "First prompt\n\nSecond prompt\n")
        #expect(try AnnotationPrompts(path: t.sub("plain.txt")).dialogues.map { $0.map(\.content) } == [["First prompt"], ["Second prompt"]])
    }

    @Test func kappasOnHandWorkedExamples() throws {
        // Two raters, four items: A = L L R R, B = L R R R. Cohen: po 0.75, pe 0.5, κ 0.5.
        // Fleiss on the same: P̄ 0.75, p = (3/8, 5/8), Pe 0.53125, κ 0.21875 / 0.46875.
        let rows = [[2, 0], [1, 1], [0, 2], [0, 2]]
        #expect(Agreement.cohenKappa([("L", "L"), ("L", "R"), ("R", "R"), ("R", "R")]) == 0.5)
        #expect(abs(Agreement.fleissKappa(rows)! - 0.21875 / 0.46875) < 1e-12)
        #expect(Agreement.percentAgreement(rows) == 0.75)
        // Three raters on a pair, two on another: P = (2·1 + 0)/(3·2) = 1/3 and 1.
        #expect(abs(Agreement.percentAgreement([[2, 1], [0, 2]]) - 2.0 / 3) < 1e-12)
        #expect(Agreement.fleissKappa([[2, 0], [2, 0]]) == nil)
    }
}
