import SpindleIO

/// Converters from public SFT and preference formats into Spindle records.
///
/// Inputs are JSONL, or a JSON array of records (as Alpaca-style releases ship). Each converter
/// maps one input record to one output record and names the field at fault on bad input.
public enum ConvertFormat: String, CaseIterable, Sendable {
    /// Stanford Alpaca: `{"instruction", "input", "output"}` → SFT dialogue.
    case alpaca
    /// Databricks Dolly: `{"instruction", "context", "response"}` → SFT dialogue.
    case dolly
    /// OpenAI-style `{"messages": [{"role", "content"}]}` or ShareGPT `{"conversations": [{"from", "value"}]}`.
    case messages
    /// Anthropic HH-RLHF: `{"chosen": "\n\nHuman: …\n\nAssistant: …", "rejected": …}` → preference pair.
    case hh
    /// ShareGPT-layout preference pairs: `{"conversations": […], "chosen": {"value"}, "rejected": {"value"}}`.
    case dpo

    public var producesPreferences: Bool { self == .hh || self == .dpo }
}

public struct Converter {
    public var format: ConvertFormat
    /// The degree given to pairs whose data set grades none (margin 0 by default: plain Bradley–Terry).
    public var defaultDegree: PreferencePair.Degree
    public var aspect: PreferencePair.Aspect
    public var safety: PreferencePair.Safety?
    public var idPrefix: String

    public init(format: ConvertFormat, defaultDegree: PreferencePair.Degree = .negligiblyBetter,
                aspect: PreferencePair.Aspect = .helpfulness, safety: PreferencePair.Safety? = nil, idPrefix: String) {
        self.format = format
        self.defaultDegree = defaultDegree
        self.aspect = aspect
        self.safety = safety
        self.idPrefix = idPrefix
    }

    /// Converts one record (`index` numbers records from 1 for generated ids); returns its JSONL line.
    public func convert(_ value: JSONValue, index: Int) throws(InputError) -> [UInt8] {
        guard case .object = value else {
            throw InputError(.wrongType, file: "", "expected a JSON object, found \(value.typeName)")
        }
        let id = value["id"].flatMap { $0.stringValue ?? $0.intValue.map(String.init) } ?? "\(idPrefix):\(index)"
        switch format {
        case .alpaca, .dolly:
            let instruction = try string(value, "instruction")
            let contextKey = format == .alpaca ? "input" : "context"
            let context = value[contextKey]?.stringValue ?? ""
            let answer = try string(value, format == .alpaca ? "output" : "response")
            let user = context.isEmpty ? instruction : instruction + "\n\n" + context
            return SFTExample(id: id, messages: [Message(.user, user), Message(.assistant, answer)]).jsonLine()
        case .messages:
            let messages = try dialogue(value)
            try SFTExample.validateTurns(messages, field: value["messages"] != nil ? "messages" : "conversations")
            return SFTExample(id: id, messages: messages).jsonLine()
        case .hh:
            let chosen = try string(value, "chosen"), rejected = try string(value, "rejected")
            let (promptC, answerC) = try Converter.splitTranscript(chosen, field: "chosen")
            let (promptR, answerR) = try Converter.splitTranscript(rejected, field: "rejected")
            guard promptC == promptR else {
                throw InputError(.invalidValue, file: "", field: "rejected", "the two transcripts differ before their last Assistant turn")
            }
            return PreferencePair(id: id, prompt: promptC, chosen: answerC, rejected: answerR, degree: defaultDegree,
                                  aspect: aspect, safety: safety).jsonLine()
        case .dpo:
            var prompt = try dialogue(value)
            if prompt.last?.role == .assistant { prompt.removeLast() }
            try SFTExample.validateTurns(prompt, field: "conversations", mustEndWithAssistant: false)
            let chosen = try responseText(value, "chosen"), rejected = try responseText(value, "rejected")
            return PreferencePair(id: id, prompt: prompt, chosen: chosen, rejected: rejected, degree: defaultDegree,
                                  aspect: aspect, safety: safety).jsonLine()
        }
    }

    func string(_ value: JSONValue, _ key: String) throws(InputError) -> String {
        guard let v = value[key] else { throw InputError(.missingField, file: "", field: key, "required field is missing") }
        guard let s = v.stringValue else { throw InputError(.wrongType, file: "", field: key, "expected a string, found \(v.typeName)") }
        return s
    }

    func responseText(_ value: JSONValue, _ key: String) throws(InputError) -> String {
        guard let v = value[key] else { throw InputError(.missingField, file: "", field: key, "required field is missing") }
        if let s = v.stringValue { return s }
        if let s = (v["value"] ?? v["content"])?.stringValue { return s }
        throw InputError(.wrongType, file: "", field: key, "expected a string or an object with a string \"value\"")
    }

    /// Messages from `messages` (role/content) or ShareGPT `conversations` (from/value).
    func dialogue(_ value: JSONValue) throws(InputError) -> [Message] {
        if let m = value["messages"] { return try Message.parseList(m, field: "messages") }
        guard let conv = value["conversations"]?.arrayValue else {
            throw InputError(.missingField, file: "", field: "messages", "expected \"messages\" or \"conversations\"")
        }
        var out: [Message] = []
        for (i, turn) in conv.enumerated() {
            guard let from = turn["from"]?.stringValue, let text = turn["value"]?.stringValue else {
                throw InputError(.missingField, file: "", field: "conversations[\(i)]", "a turn needs string \"from\" and \"value\"")
            }
            let role: Message.Role
            switch from.lowercased() {
            case "human", "user": role = .user
            case "gpt", "assistant", "chatgpt", "bing", "bard", "model": role = .assistant
            case "system": role = .system
            default:
                throw InputError(.invalidValue, file: "", field: "conversations[\(i)].from", "unknown speaker '\(from)'")
            }
            out.append(Message(role, text))
        }
        return out
    }

    /// Splits an HH transcript at its last Assistant turn: the turns before it, and its text.
    public static func splitTranscript(_ transcript: String, field: String) throws(InputError) -> ([Message], String) {
        var turns: [Message] = []
        var rest = Substring(transcript)
        let human = "\n\nHuman:", assistant = "\n\nAssistant:"
        guard rest.hasPrefix(human) else {
            throw InputError(.invalidValue, file: "", field: field, "an HH transcript starts with \"\\n\\nHuman:\"")
        }
        while !rest.isEmpty {
            let role: Message.Role
            if rest.hasPrefix(human) { role = .user; rest = rest.dropFirst(human.count) }
            else if rest.hasPrefix(assistant) { role = .assistant; rest = rest.dropFirst(assistant.count) }
            else { throw InputError(.invalidValue, file: "", field: field, "unexpected text between turns") }
            let nextH = rest.firstRange(of: human)?.lowerBound ?? rest.endIndex
            let nextA = rest.firstRange(of: assistant)?.lowerBound ?? rest.endIndex
            let end = min(nextH, nextA)
            var text = String(rest[..<end])
            if text.hasPrefix(" ") { text.removeFirst() }
            // Consecutive turns of one speaker (rare in HH) are merged so roles alternate.
            if let last = turns.last, last.role == role {
                turns[turns.count - 1].content += "\n\n" + text
            } else {
                turns.append(Message(role, text))
            }
            rest = rest[end...]
        }
        guard let last = turns.last, last.role == .assistant, turns.count >= 2 else {
            throw InputError(.invalidValue, file: "", field: field, "an HH transcript must end with an Assistant turn")
        }
        return (Array(turns.dropLast()), last.content)
    }
}
