// ResponseSchema.swift: OpenAI's response objects — chat.completion, chat.completion.chunk,
// text_completion (whole and streamed), the model list and usage — built as JSONValue.
import SpindleIO

/// What every response object of one request shares.
public struct ResponseMeta: Sendable {
    public var id: String
    public var created: Int
    public var model: String
    public var chat: Bool

    public init(id: String, created: Int, model: String, chat: Bool) {
        self.id = id; self.created = created; self.model = model; self.chat = chat
    }

    var object: String { chat ? "chat.completion" : "text_completion" }
    var chunkObject: String { chat ? "chat.completion.chunk" : "text_completion" }
}

public enum ResponseSchema {
    /// `{"prompt_tokens", "completion_tokens", "total_tokens"}`.
    public static func usage(prompt: Int, completion: Int) -> JSONValue {
        .object([("prompt_tokens", .int(prompt)), ("completion_tokens", .int(completion)), ("total_tokens", .int(prompt + completion))])
    }

    static func header(_ m: ResponseMeta, object: String) -> [(String, JSONValue)] {
        [("id", .string(m.id)), ("object", .string(object)), ("created", .int(m.created)), ("model", .string(m.model))]
    }

    /// The whole response of a request that did not stream.
    public static func completion(_ m: ResponseMeta, _ r: JobResult) -> JSONValue {
        let choices: [JSONValue] = r.choices.enumerated().map { i, c in
            let content: (String, JSONValue) = m.chat
                ? ("message", .object([("role", .string("assistant")), ("content", .string(c.text))]))
                : ("text", .string(c.text))
            return .object([("index", .int(i)), content, ("logprobs", .null), ("finish_reason", .string(c.finishReason))])
        }
        return .object(header(m, object: m.object) + [
            ("choices", .array(choices)),
            ("usage", usage(prompt: r.promptTokens, completion: r.completionTokens)),
        ])
    }

    /// One streamed choice update: new text (`text`), the opening role (chat), or the finish reason.
    public static func chunk(_ m: ResponseMeta, row: Int, text: String?, role: Bool = false, finish: String? = nil) -> JSONValue {
        var delta: [(String, JSONValue)] = []
        if m.chat {
            if role { delta.append(("role", .string("assistant"))) }
            if let text { delta.append(("content", .string(text))) }
        }
        var choice: [(String, JSONValue)] = [("index", .int(row))]
        if m.chat { choice.append(("delta", .object(delta))) } else { choice.append(("text", .string(text ?? ""))) }
        choice += [("logprobs", .null), ("finish_reason", finish.map(JSONValue.string) ?? .null)]
        return .object(header(m, object: m.chunkObject) + [("choices", .array([.object(choice)]))])
    }

    /// The last chunk before `[DONE]`: no choices, the usage (as OpenAI's `include_usage` sends it).
    public static func usageChunk(_ m: ResponseMeta, _ r: JobResult) -> JSONValue {
        .object(header(m, object: m.chunkObject) + [
            ("choices", .array([])), ("usage", usage(prompt: r.promptTokens, completion: r.completionTokens)),
        ])
    }

    /// GET /v1/models.
    public static func models(_ name: String, created: Int) -> JSONValue {
        .object([("object", .string("list")), ("data", .array([.object([
            ("id", .string(name)), ("object", .string("model")), ("created", .int(created)), ("owned_by", .string("spindle")),
        ])]))])
    }
}
