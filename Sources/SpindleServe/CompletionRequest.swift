// CompletionRequest.swift: the body of POST /v1/chat/completions and POST /v1/completions, read
// strictly. A field of the wrong type, a value out of range, a role other than system/user/assistant
// or a field the server does not know is a 400 naming the field; fields OpenAI defines that change
// nothing at their neutral value (presence_penalty 0, logprobs false, ...) are accepted only at it.
import SpindleIO
import SpindleShards

/// One generation request, as either endpoint states it.
public struct CompletionRequest: Sendable, Equatable {
    /// What to continue: a conversation (chat) or raw text (completions).
    public enum Input: Sendable, Equatable {
        case chat([ChatMessage])
        case text(String)
    }

    public var input: Input
    public var model: String?
    /// 0 = greedy; OpenAI's range 0...2 and default 1.
    public var temperature: Float = 1
    public var topP: Float = 1
    public var maxTokens: Int?
    public var stop: [String] = []
    public var seed: UInt64?
    public var n = 1
    public var stream = false

    public init(input: Input) { self.input = input }

    /// Fields either endpoint reads, and the ones that are accepted only at their neutral value.
    static let common: Set<String> = ["model", "temperature", "top_p", "max_tokens", "stop", "seed", "n", "stream",
                                      "stream_options", "user", "presence_penalty", "frequency_penalty", "logprobs"]

    /// Parses a chat completion body. `maxN` is the server's `--max-n`.
    public static func chat(_ body: [UInt8], maxN: Int) throws(APIError) -> CompletionRequest {
        let f = try RequestFields(body, known: common.union(["messages", "max_completion_tokens", "top_logprobs"]))
        guard let raw = f.value("messages") else { throw .invalid("'messages' is required", param: "messages") }
        var r = CompletionRequest(input: .chat(try messages(raw)))
        try r.readCommon(f, maxN: maxN)
        if let m = try f.int("max_completion_tokens") { r.maxTokens = m }
        try f.neutral("top_logprobs", isNeutral: { $0.isNull })
        return r
    }

    /// Parses a (legacy) text completion body: `prompt` is a string, or an array holding one string.
    public static func completion(_ body: [UInt8], maxN: Int) throws(APIError) -> CompletionRequest {
        let f = try RequestFields(body, known: common.union(["prompt", "echo", "best_of", "suffix"]))
        let prompt: String
        switch f.value("prompt") {
        case .string(let s)?: prompt = s
        case .array(let a)? where a.count == 1 && a[0].stringValue != nil: prompt = a[0].stringValue!
        case .array?: throw .invalid("'prompt' as an array must hold exactly one string (send one request per prompt)", param: "prompt")
        case nil: throw .invalid("'prompt' is required", param: "prompt")
        case let v?: throw .invalid("'prompt' must be a string, not \(v.typeName)", param: "prompt")
        }
        var r = CompletionRequest(input: .text(prompt))
        try r.readCommon(f, maxN: maxN)
        try f.neutral("echo", isNeutral: { $0.isNull || $0.boolValue == false })
        try f.neutral("best_of", isNeutral: { $0.isNull || $0.intValue == 1 })
        try f.neutral("suffix", isNeutral: { $0.isNull })
        return r
    }

    mutating func readCommon(_ f: RequestFields, maxN: Int) throws(APIError) {
        model = try f.string("model")
        if let t = try f.number("temperature", in: 0...2) { temperature = Float(t) }
        if let p = try f.number("top_p", in: 0...1) {
            guard p > 0 else { throw .invalid("'top_p' must be greater than 0 (1 = off)", param: "top_p") }
            topP = Float(p)
        }
        if let m = try f.int("max_tokens") { maxTokens = m }
        if let m = maxTokens, m < 1 { throw .invalid("'max_tokens' must be at least 1, got \(m)", param: "max_tokens") }
        if let s = try f.int("seed") { seed = UInt64(bitPattern: Int64(s)) }
        if let k = try f.int("n") {
            guard (1...maxN).contains(k) else { throw .invalid("'n' must be between 1 and \(maxN) (--max-n), got \(k)", param: "n") }
            n = k
        }
        stream = try f.bool("stream") ?? false
        stop = try Self.stops(f.value("stop"))
        _ = try f.string("user")
        if let o = f.value("stream_options"), !o.isNull {
            guard let members = o.members else { throw .invalid("'stream_options' must be an object", param: "stream_options") }
            for (k, v) in members where k != "include_usage" || v.boolValue == nil {
                throw .invalid("'stream_options.\(k)' is not supported (usage is always sent in the last chunk)", param: "stream_options")
            }
        }
        try f.neutral("presence_penalty", isNeutral: { $0.isNull || $0.doubleValue == 0 })
        try f.neutral("frequency_penalty", isNeutral: { $0.isNull || $0.doubleValue == 0 })
        try f.neutral("logprobs", isNeutral: { $0.isNull || $0.boolValue == false })
    }

    /// `stop`: null, a string, or an array of at most 4 non-empty strings (OpenAI's limit).
    static func stops(_ v: JSONValue?) throws(APIError) -> [String] {
        let list: [JSONValue]
        switch v {
        case nil, .null?: return []
        case .string(let s)?: list = [.string(s)]
        case .array(let a)?: list = a
        case let v?: throw .invalid("'stop' must be a string or an array of strings, not \(v.typeName)", param: "stop")
        }
        guard list.count <= 4 else { throw .invalid("'stop' takes at most 4 sequences, got \(list.count)", param: "stop") }
        var out: [String] = []
        for item in list {
            guard let s = item.stringValue, !s.isEmpty else { throw .invalid("each 'stop' sequence must be a non-empty string", param: "stop") }
            out.append(s)
        }
        return out
    }

    /// `messages`: objects with a `role` (system, user, assistant) and a `content` string (or a list of
    /// `{"type": "text", "text": ...}` parts, joined). Order is checked when the template renders them.
    static func messages(_ raw: JSONValue) throws(APIError) -> [ChatMessage] {
        guard let items = raw.arrayValue, !items.isEmpty else {
            throw .invalid("'messages' must be a non-empty array", param: "messages")
        }
        var out: [ChatMessage] = []
        for (i, item) in items.enumerated() {
            let at = "messages[\(i)]"
            guard let members = item.members else { throw .invalid("'\(at)' must be an object", param: at) }
            for (k, _) in members where !["role", "content", "name"].contains(k) {
                throw .invalid("'\(at).\(k)' is not supported", param: "\(at).\(k)")
            }
            guard let roleName = item["role"]?.stringValue else { throw .invalid("'\(at).role' must be a string", param: "\(at).role") }
            guard let role = Message.Role(rawValue: roleName) else {
                throw .invalid("'\(at).role' is \"\(roleName)\": the roles are system, user and assistant", param: "\(at).role")
            }
            out.append(ChatMessage(role, try content(item["content"], at: at)))
        }
        return out
    }

    static func content(_ v: JSONValue?, at: String) throws(APIError) -> String {
        if let s = v?.stringValue { return s }
        guard let parts = v?.arrayValue else { throw .invalid("'\(at).content' must be a string", param: "\(at).content") }
        var text = ""
        for p in parts {
            guard p["type"]?.stringValue == "text", let t = p["text"]?.stringValue else {
                throw .invalid("'\(at).content' parts must be {\"type\": \"text\", \"text\": ...}: this model reads text only", param: "\(at).content")
            }
            text += t
        }
        return text
    }
}
