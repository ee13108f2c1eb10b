import Testing
@testable import SpindleShards

@Suite("Llama 2 chat template")
struct ChatTemplateTests {
    let t = Llama2ChatTemplate(encoder: FakeEncoder())
    let e = FakeEncoder()

    /// The whole rendered sequence, special ids shown, as Meta's reference builds it.
    func shown(_ ids: [Int32]) -> String { e.decode(ids) }

    @Test func systemFoldedIntoFirstUserTurn() throws {
        let r = try t.render([.init(.system, "Be brief."), .init(.user, "  Hi? "), .init(.assistant, " Hello. ")])
        // As the reference: the folded content is stripped as a whole, so the user's leading spaces stay.
        #expect(shown(r.ids) == "<s> [INST] <<SYS>>\nBe brief.\n<</SYS>>\n\n  Hi? [/INST] Hello. </s>")
        // Reference: one encode of "[INST] {user} [/INST] {answer} " between <s> and </s>.
        let joint = e.encode("[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\n  Hi? [/INST] Hello. ")
        #expect(r.ids == [1] + joint + [2])
    }

    /// Loss mask: exactly the answer tokens and their </s>, in every turn, from the roles.
    @Test func maskCoversExactlyTheAnswers() throws {
        let msgs: [ChatMessage] = [.init(.system, "S"), .init(.user, "u1"), .init(.assistant, "a1"),
                                   .init(.user, "u2 [/INST] tricky </s>"), .init(.assistant, "a2 <s>"),
                                   .init(.user, "u3"), .init(.assistant, "a3")]
        let r = try t.render(msgs)
        #expect(r.answerSpans.count == 3)
        var expected = [UInt8](repeating: 0, count: r.ids.count)
        for s in r.answerSpans { for i in s { expected[i] = 1 } }
        #expect(r.mask == expected)
        for (s, a) in zip(r.answerSpans, ["a1", "a2 <s>", "a3"]) {
            #expect(r.ids[s.upperBound - 1] == e.eosID)
            #expect(text(r.ids[s.lowerBound..<(s.upperBound - 1)]) == a + " ")
        }
        // Special ids only where the template put them: 3 BOS, 3 EOS, although the text spells both.
        #expect(r.ids.filter { $0 == 1 }.count == 3)
        #expect(r.ids.filter { $0 == 2 }.count == 3)
        #expect(r.mask.filter { $0 == 1 }.count == r.answerSpans.reduce(0) { $0 + $1.count })
    }

    @Test func trailingUserTurnIsLeftOut() throws {
        let r = try t.render([.init(.user, "q"), .init(.assistant, "a"), .init(.user, "more?")])
        #expect(shown(r.ids) == "<s> [INST] q [/INST] a </s>")
    }

    @Test(arguments: [
        ([ChatMessage](), ChatTemplateError.empty),
        ([.init(.assistant, "a")], .roleOrder(index: 0, expected: .user, found: .assistant)),
        ([.init(.user, "a"), .init(.user, "b")], .roleOrder(index: 1, expected: .assistant, found: .user)),
        ([.init(.user, "a"), .init(.system, "b")], .misplacedSystem(index: 1)),
        ([.init(.system, "s"), .init(.user, "q")], .noAnswer),
        ([.init(.system, "s")], .promptMustEndWithUser),
    ])
    func rejectsBadDialogues(msgs: [ChatMessage], error: ChatTemplateError) {
        #expect(throws: error) { try t.render(msgs) }
    }

    @Test func gattReplaysEachAnswerWithTheInstructionTurnsBack() throws {
        let msgs: [ChatMessage] = [.init(.system, "Speak French"), .init(.user, "u1"), .init(.assistant, "a1"),
                                   .init(.user, "u2"), .init(.assistant, "a2"), .init(.user, "u3"), .init(.assistant, "a3")]
        let out = try t.renderGAtt(msgs)
        #expect(out.count == 3)
        for (k, r) in out.enumerated() {
            #expect(r.answerSpans.count == k + 1)
            // Loss only on the last answer; the instruction only in the first turn.
            var expected = [UInt8](repeating: 0, count: r.ids.count)
            for i in r.answerSpans.last! { expected[i] = 1 }
            #expect(r.mask == expected)
            #expect(shown(r.ids).components(separatedBy: "<<SYS>>").count == 2)
        }
        // No system message: unchanged.
        let plain = try t.renderGAtt(Array(msgs.dropFirst()))
        #expect(plain == [try t.render(Array(msgs.dropFirst()))])
    }

    @Test func promptsEndAtTheLastInst() throws {
        let p = try t.renderPrompt([.init(.system, "S"), .init(.user, "q1"), .init(.assistant, "a1"), .init(.user, "q2")])
        #expect(shown(p) == "<s> [INST] <<SYS>>\nS\n<</SYS>>\n\nq1 [/INST] a1 </s><s> [INST] q2 [/INST]")
        #expect(throws: ChatTemplateError.promptMustEndWithUser) { try t.renderPrompt([.init(.user, "q"), .init(.assistant, "a")]) }
        let full = t.renderResponse(prompt: p, answer: "yes")
        #expect(shown(full) == shown(p) + " yes </s>")
    }

    /// Python's str.isspace() set (29 code points), as `.strip()` in the reference uses it.
    @Test func stripsWhatPythonStrips() {
        let spaces: [UInt32] = [0x9, 0xA, 0xB, 0xC, 0xD, 0x1C, 0x1D, 0x1E, 0x1F, 0x20, 0x85, 0xA0, 0x1680, 0x2000, 0x2001, 0x2002,
                                0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000]
        let ws = String(String.UnicodeScalarView(spaces.map { Unicode.Scalar($0)! }))
        #expect(Llama2ChatTemplate.strip(ws + "a b" + ws) == "a b")
        #expect(Llama2ChatTemplate.strip("\u{200B}x\u{200B}") == "\u{200B}x\u{200B}")  // zero-width space is not whitespace
        #expect(Llama2ChatTemplate.strip("\r\nx\r\n") == "x")
    }
}
