// The Llama 2 chat format, as Meta's reference `chat_completion` builds it (llama/generation.py):
//
//   <s>[INST] <<SYS>>\n{system}\n<</SYS>>\n\n{user 1} [/INST] {answer 1} </s><s>[INST] {user 2} [/INST] …
//
// `<s>`/`</s>` are the special ids, never text. Each pair is encoded as two pieces — the prompt
// "[INST] {user} [/INST]" and the answer "{answer} " — whose concatenation is exactly the reference's
// single encode of "[INST] {user} [/INST] {answer} " (SentencePiece never merges across the space that
// starts the answer; the dummy prefix supplies it). The split is what lets the loss mask come from
// the roles: 1 on the answer's tokens and its `</s>`, 0 on everything else. No template search.

/// Why a dialogue cannot be rendered.
public enum ChatTemplateError: Error, Equatable, Sendable, CustomStringConvertible {
    case empty
    case misplacedSystem(index: Int)
    case roleOrder(index: Int, expected: ChatRole, found: ChatRole)
    case noAnswer
    case promptMustEndWithUser

    public var description: String {
        switch self {
        case .empty: return "the dialogue has no messages"
        case .misplacedSystem(let i): return "message \(i) is a system message; only the first message may be one"
        case .roleOrder(let i, let e, let f):
            return "message \(i) is from \(f.rawValue), expected \(e.rawValue) (turns must alternate user/assistant after an optional system message)"
        case .noAnswer: return "the dialogue has no assistant answer to train on"
        case .promptMustEndWithUser: return "a prompt must end with a user message"
        }
    }
}

/// A rendered dialogue: token ids, the loss mask, and where each answer (with its `</s>`) lies.
public struct RenderedChat: Sendable, Equatable {
    public var ids: [Int32]
    /// 1 on tokens the model is trained to produce, 0 elsewhere; same length as `ids`.
    public var mask: [UInt8]
    /// Token ranges of every assistant answer including its `</s>`, in order.
    public var answerSpans: [Range<Int>]
}

/// Renders dialogues in the Llama 2 chat format.
public struct Llama2ChatTemplate {
    public static let bInst = "[INST]", eInst = "[/INST]"
    public static let bSys = "<<SYS>>\n", eSys = "\n<</SYS>>\n\n"

    public let encoder: any TokenEncoder

    public init(encoder: any TokenEncoder) { self.encoder = encoder }

    /// Checks roles and folds the system message into the first user turn.
    /// Returns (user, assistant?) pairs; the last pair's answer is nil when the dialogue ends with a user.
    public static func turns(_ messages: [ChatMessage]) throws(ChatTemplateError) -> [(user: String, answer: String?)] {
        guard !messages.isEmpty else { throw .empty }
        var msgs = messages[...]
        var system: String? = nil
        if msgs.first!.role == .system {
            system = msgs.first!.content
            msgs = msgs.dropFirst()
        }
        var out: [(String, String?)] = []
        var expect = ChatRole.user
        var pendingUser: String? = nil
        for (offset, m) in msgs.enumerated() {
            let i = offset + (system == nil ? 0 : 1)
            if m.role == .system { throw .misplacedSystem(index: i) }
            guard m.role == expect else { throw .roleOrder(index: i, expected: expect, found: m.role) }
            if m.role == .user {
                var content = m.content
                if out.isEmpty, let s = system { content = bSys + s + eSys + content }
                pendingUser = content
                expect = .assistant
            } else {
                out.append((pendingUser!, m.content))
                pendingUser = nil
                expect = .user
            }
        }
        if let u = pendingUser { out.append((u, nil)) }
        if out.isEmpty { throw .promptMustEndWithUser }  // system message alone
        return out
    }

    /// Python's `str.strip()`: Unicode White_Space plus the separators U+001C…U+001F that Python's
    /// `isspace` also counts.
    static func strip(_ s: String) -> String {
        func isSpace(_ c: Character) -> Bool {
            c.isWhitespace || (c.unicodeScalars.count == 1 && (0x1C...0x1F).contains(c.unicodeScalars.first!.value))
        }
        var sub = Substring(s)
        while let c = sub.first, isSpace(c) { sub.removeFirst() }
        while let c = sub.last, isSpace(c) { sub.removeLast() }
        return String(sub)
    }

    /// `<s>` + "[INST] {user} [/INST]".
    func promptIDs(_ user: String) -> [Int32] {
        [encoder.bosID] + encoder.encode("\(Self.bInst) \(Self.strip(user)) \(Self.eInst)")
    }

    /// "{answer} " + `</s>` (the space before the answer comes from the dummy prefix).
    func answerIDs(_ answer: String) -> [Int32] {
        encoder.encode("\(Self.strip(answer)) ") + [encoder.eosID]
    }

    /// Renders an SFT dialogue with its loss mask. A trailing user turn without an answer is left out
    /// (there is nothing to train on after it).
    ///
    /// - Parameter trainTurns: which answers get loss: all (default), or only the last (GAtt, Llama 2
    ///   §3.3: "set the loss to 0 for all the tokens from the previous turns").
    public func render(_ messages: [ChatMessage], lastAnswerOnly: Bool = false) throws(ChatTemplateError) -> RenderedChat {
        let pairs = try Self.turns(messages).filter { $0.answer != nil }
        guard !pairs.isEmpty else { throw .noAnswer }
        var ids: [Int32] = []
        var mask: [UInt8] = []
        var spans: [Range<Int>] = []
        for (k, p) in pairs.enumerated() {
            let prompt = promptIDs(p.user)
            ids.append(contentsOf: prompt)
            mask.append(contentsOf: repeatElement(0, count: prompt.count))
            let answer = answerIDs(p.answer!)
            let start = ids.count
            ids.append(contentsOf: answer)
            let trained: UInt8 = (!lastAnswerOnly || k == pairs.count - 1) ? 1 : 0
            mask.append(contentsOf: repeatElement(trained, count: answer.count))
            spans.append(start..<ids.count)
        }
        return RenderedChat(ids: ids, mask: mask, answerSpans: spans)
    }

    /// Ghost Attention replay (Llama 2 §3.3): a dialogue with a system instruction and n > 1 answers
    /// becomes n examples — the dialogue cut after answer k, the instruction kept only in the first
    /// turn, loss only on answer k — so every answer is trained while the instruction sits turns back.
    /// Other dialogues render unchanged.
    public func renderGAtt(_ messages: [ChatMessage]) throws(ChatTemplateError) -> [RenderedChat] {
        let answers = messages.filter { $0.role == .assistant }.count
        guard messages.first?.role == .system, answers > 1 else { return [try render(messages)] }
        var out: [RenderedChat] = []
        var seen = 0
        for (i, m) in messages.enumerated() where m.role == .assistant {
            seen += 1
            out.append(try render(Array(messages[0...i]), lastAnswerOnly: seen > 1))
        }
        return out
    }

    /// A prompt for generation, reward scoring or PPO: the conversation ending with a user turn,
    /// rendered up to and including its "[/INST]" (no answer, no `</s>`).
    public func renderPrompt(_ messages: [ChatMessage]) throws(ChatTemplateError) -> [Int32] {
        let pairs = try Self.turns(messages)
        guard pairs.last!.answer == nil else { throw .promptMustEndWithUser }
        var ids: [Int32] = []
        for p in pairs {
            ids.append(contentsOf: promptIDs(p.user))
            if let a = p.answer { ids.append(contentsOf: answerIDs(a)) }
        }
        return ids
    }

    /// A prompt followed by one answer and `</s>`, as a reward model scores it.
    public func renderResponse(prompt: [Int32], answer: String) -> [Int32] {
        prompt + answerIDs(answer)
    }
}
