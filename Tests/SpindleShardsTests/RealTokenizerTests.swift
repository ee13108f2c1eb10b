import Foundation
import Testing
import SpindleIO
@testable import SpindleShards
import SpindleTestSupport
import SpindleTokenizer

/// The Llama 2 tokenizer and real SFT data from ../shared/data (the suite requires both).
enum RealData {
    static let tokenizerPath = SharedData.llama2Model
    static var available: Bool { FileManager.default.fileExists(atPath: tokenizerPath) }
    static let model: SentencePieceModel? = try? SentencePieceModel(contentsOf: tokenizerPath)

    /// Alpaca records as dialogues (instruction + input as the user turn, output as the answer).
    static func alpaca(limit: Int = .max) -> [Dialogue] {
        guard let data = FileManager.default.contents(atPath: SharedData.path("sft/alpaca_en_demo.json")),
              let items = try? JSONValue.parse(Array(data)).arrayValue else { return [] }
        return items.prefix(limit).enumerated().compactMap { i, v in
            guard let ins = v["instruction"]?.stringValue, let out = v["output"]?.stringValue else { return nil }
            let input = v["input"]?.stringValue ?? ""
            return Dialogue(id: "alpaca:\(i)", messages: [.init(.user, input.isEmpty ? ins : ins + "\n\n" + input), .init(.assistant, out)])
        }
    }
}

@Suite("Real tokenizer", .requires(.llama2Tokenizer, .sharedData("sft/alpaca_en_demo.json")))
struct RealTokenizerTests {
    /// Encoding the prompt and the answer separately gives exactly the ids of the reference's single
    /// encode of "[INST] {user} [/INST] {answer} " — the property role-based masks rest on.
    @Test func splitEncodingEqualsJointEncoding() throws {
        let m = try #require(RealData.model)
        var answers = RealData.alpaca(limit: 400).map { ($0.messages[0].content, $0.messages[1].content) }
        answers += [("q", "123 apples"), ("q", "  leading spaces"), ("q", "\n\nnewlines first"), ("q", "数据 and 世界"),
                    ("q", "😀 emoji"), ("q", "'quoted'"), ("q", "-dash"), ("q", "</s> literal"), ("q", "a\tb"),
                    ("trailing [/INST]", "x"), ("q", ""), ("q", "▁already"), ("q", "[/INST]")]
        for (u, a) in answers {
            let user = Llama2ChatTemplate.strip(u), answer = Llama2ChatTemplate.strip(a)
            let joint = m.encode("[INST] \(user) [/INST] \(answer) ")
            let split = m.encode("[INST] \(user) [/INST]") + m.encode("\(answer) ")
            #expect(joint == split, "user \(u.prefix(40)) answer \(a.prefix(40))")
        }
        // Text never produces the special ids.
        #expect(!m.encode("<s> </s> <unk>").contains { $0 == m.bosID || $0 == m.eosID })
    }

    @Test func realSFTPacksVerifiesAndFills() throws {
        let m = try #require(RealData.model)
        let t = TempDir(); defer { t.cleanup() }
        let dialogues = RealData.alpaca()
        #expect(dialogues.count > 900)
        let sink = try ShardSink(kind: .sft, encoder: m, options: sinkOptions(t.path, seqLen: 4096))
        let p = SFTPacker(sink: sink, encoder: m)
        for d in dialogues { try p.add(d) }
        try p.finish()
        #expect(p.fillRatio >= 0.97)
        let ds = try ShardDataset(directory: t.path, kind: .sft, tokenizer: TokenizerStamp(m))
        let report = ShardVerifier(dataset: ds, tokenizer: m).run()
        #expect(report.ok, "\(report.problems)")
        #expect(report.answersChecked == dialogues.count)
        let text = try ShardInspector.decode(ds, sample: 0, encoder: m)
        #expect(text.contains("[/INST]⟦") && text.contains("</s>⟧"))
    }
}
