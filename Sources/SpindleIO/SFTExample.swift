/// A supervised fine-tuning dialogue: `{"id", "messages": [{"role", "content"}, ...]}`.
/// An optional system message comes first; user and assistant turns alternate after it.
public struct SFTExample: JSONRecord, Equatable {
    public var id: String
    public var messages: [Message]
    public var extra: [RawField]

    public init(id: String, messages: [Message], extra: [RawField] = []) {
        self.id = id
        self.messages = messages
        self.extra = extra
    }

    public init(json: JSONLine) throws(InputError) {
        id = try json.requiredString("id")
        guard let value = try json.value("messages") else {
            throw InputError(.missingField, file: "", field: "messages", "required array field is missing")
        }
        messages = try Message.parseList(value, field: "messages")
        try SFTExample.validateTurns(messages, field: "messages")
        extra = json.otherFields(excluding: ["id", "messages"])
    }

    /// Checks the dialogue shape the Llama 2 chat format needs: optional system first, then
    /// user/assistant alternating, starting with user and ending with assistant.
    public static func validateTurns(_ messages: [Message], field: String, mustEndWithAssistant: Bool = true) throws(InputError) {
        var turns = messages[...]
        if turns.first?.role == .system { turns = turns.dropFirst() }
        guard !turns.isEmpty else {
            throw InputError(.invalidValue, file: "", field: field, "a dialogue needs at least one user turn")
        }
        for (k, m) in turns.enumerated() {
            let expected: Message.Role = k % 2 == 0 ? .user : .assistant
            if m.role != expected {
                throw InputError(.invalidValue, file: "", field: "\(field)[\(turns.startIndex + k)].role",
                                 "expected \(expected.rawValue) (turns alternate user/assistant after an optional system message), found \(m.role.rawValue)")
            }
        }
        if mustEndWithAssistant && turns.last?.role != .assistant {
            throw InputError(.invalidValue, file: "", field: field, "a training dialogue must end with an assistant turn")
        }
    }

    public func jsonLine() -> [UInt8] {
        var w = JSONObjectWriter()
        w.string("id", id)
        w.value("messages", messages.json)
        w.fields(extra)
        return w.finishLine()
    }
}
