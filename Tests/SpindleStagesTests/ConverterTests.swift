import Testing
import SpindleIO
@testable import SpindleStages
import SpindleTestSupport

@Suite struct ConverterTests {
    @Test func hhTranscriptSplitsAtTheLastAssistantTurn() throws {
        let (prompt, answer) = try Converter.splitTranscript("\n\nHuman: Hi there\n\nAssistant: Hello!\n\nHuman: Help me?\n\nAssistant: Sure.", field: "chosen")
        #expect(prompt == [Message(.user, "Hi there"), Message(.assistant, "Hello!"), Message(.user, "Help me?")])
        #expect(answer == "Sure.")
        #expect(throws: InputError.self) { _ = try Converter.splitTranscript("no turns", field: "chosen") }
    }

    @Test func alpacaWithAndWithoutInput() throws {
        let c = Converter(format: .alpaca, idPrefix: "a")
        let one = try SFTExample(json: JSONLine(c.convert(try JSONValue.parse(#"{"instruction":"Sum","input":"1 2","output":"3"}"#), index: 1)))
        #expect(one.messages == [Message(.user, "Sum\n\n1 2"), Message(.assistant, "3")])
        #expect(one.id == "a:1")
        let two = try SFTExample(json: JSONLine(c.convert(try JSONValue.parse(#"{"instruction":"Hi","input":"","output":"Yo"}"#), index: 2)))
        #expect(two.messages.first?.content == "Hi")
    }

    @Test func missingFieldIsNamed() {
        let c = Converter(format: .dolly, idPrefix: "d")
        #expect {
            _ = try c.convert(try JSONValue.parse(#"{"instruction":"x"}"#), index: 1)
        } throws: { error in
            (error as? InputError)?.field == "response"
        }
    }

    @Test(.requires(.sharedData("preference/hh-rlhf/harmless-base-part-a.jsonl.gz"))) func realHHPairsConvertWithTheAspectTag() throws {
        let c = Converter(format: .hh, aspect: .safety, idPrefix: "hh")
        let records = try RecordInput(paths: [SharedData.path("preference/hh-rlhf/harmless-base-part-a.jsonl.gz")])
        var n = 0
        try records.forEachLine { line in
            let pair = try PreferencePair(json: JSONLine(c.convert(try JSONValue.parse(line.bytes), index: n + 1)))
            #expect(pair.aspect == .safety && pair.degree == .negligiblyBetter)
            #expect(pair.prompt.last?.role == .user)
            n += 1
        }
        #expect(n == 1387)
    }

    @Test(.requires(.sharedData)) func realShareGPTAndDPOFiles() throws {
        for (format, file, expected) in [(ConvertFormat.messages, "sft/chat/fastchat_dummy_conversation.json", 500),
                                         (.dpo, "preference/dpo_en_demo.json", 300), (.alpaca, "sft/alpaca_en_demo.json", 999)] {
            let c = Converter(format: format, idPrefix: format.rawValue)
            let items = try JSONValue.parse(try InputFile.readAll(path: SharedData.path(file))).arrayValue ?? []
            var ok = 0
            for (i, item) in items.enumerated() {
                let line = try c.convert(item, index: i + 1)
                if format.producesPreferences { _ = try PreferencePair(json: JSONLine(line)) } else { _ = try SFTExample(json: JSONLine(line)) }
                ok += 1
            }
            #expect(ok == expected, "\(file)")
        }
    }

    /// A JSON array and the same records as JSONL convert alike; a bad element is skipped into
    /// --rejects whole, named by its position.
    @Test func arrayAndJSONLConvertAlikeAndRejectsKeepBadElements() throws {
        let tmp = TempDir("convert"); defer { tmp.cleanup() }
        let good = #"{"instruction":"Sum","input":"1 2","output":"3"}"#, bad = #"{"instruction":"No answer"}"#
        let array = try tmp.write("a.json", "[\n  \(good),\n  \(bad),\n  \(good)\n]\n")
        let jsonl = try tmp.write("a.jsonl", [good, bad, good].joined(separator: "\n") + "\n")
        let c = Converter(format: .alpaca, idPrefix: "a")
        var outputs: [String] = []
        for input in [array, jsonl] {
            let out = tmp.sub("out-\(outputs.count)"), rejects = tmp.sub("rejects-\(outputs.count)")
            let file = try OutputFile(path: out)
            let (n, skipped) = try c.run(paths: [input], output: file, policy: .skip, rejectsPath: rejects)
            try file.commit()
            #expect(n == 2 && skipped == 1)
            #expect(try tmp.read("rejects-\(outputs.count)") == bad + "\n")
            outputs.append(try tmp.read("out-\(outputs.count)"))
        }
        #expect(outputs[0] == outputs[1] && outputs[0].contains("\"id\":\"a:2\""))
        let file = try OutputFile(path: tmp.sub("fail"))
        #expect { _ = try c.run(paths: [array], output: file, policy: .fail, rejectsPath: nil) } throws: { error in
            "\(error)".contains("a.json: field '[1].output'")
        }
    }
}
