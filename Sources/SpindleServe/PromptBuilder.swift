// PromptBuilder.swift: a request's input as token ids. Chat messages are rendered with the Llama 2
// chat template (SpindleShards' Llama2ChatTemplate: "<s>[INST] <<SYS>>...<</SYS>> user [/INST]", prior
// answers closed with "</s>"); completions are the text's encoding after BOS. A prompt that leaves no
// room in the model's context is a 400, as OpenAI refuses one (code context_length_exceeded).
import SpindleIO
import SpindleShards
import SpindleTokenizer

/// Renders prompts and sizes the answer budget against the context.
public struct PromptBuilder: Sendable {
    public let tokenizer: SentencePieceModel
    /// The model's context (max_seq_len): prompt plus answer must fit it.
    public let context: Int
    /// `max_tokens` when a request gives none (`--max-tokens`), cut to what the context leaves.
    public let defaultMaxTokens: Int

    public init(tokenizer: SentencePieceModel, context: Int, defaultMaxTokens: Int) {
        self.tokenizer = tokenizer; self.context = context; self.defaultMaxTokens = defaultMaxTokens
    }

    /// The prompt's ids.
    public func ids(_ input: CompletionRequest.Input) throws(APIError) -> [Int32] {
        switch input {
        case .text(let s):
            return tokenizer.encode(s, addBOS: true)
        case .chat(let messages):
            do { return try Llama2ChatTemplate(encoder: tokenizer).renderPrompt(messages) } catch {
                throw .invalid("'messages' cannot be rendered in the Llama 2 chat format: \(error.description)", param: "messages")
            }
        }
    }

    /// How many tokens the answer may have: the request's `max_tokens` (refused when prompt plus it
    /// exceed the context), or the server default cut to the room left.
    public func answerBudget(promptTokens p: Int, requested: Int?) throws(APIError) -> Int {
        let room = context - p
        guard room >= 1 else {
            throw .invalid("this model's maximum context length is \(context) tokens; the prompt has \(p) tokens, leaving no room for an answer",
                           param: "messages", code: "context_length_exceeded")
        }
        if let requested {
            guard requested <= room else {
                throw .invalid("this model's maximum context length is \(context) tokens; you requested \(p + requested) tokens (\(p) in the prompt, \(requested) for the answer)",
                               param: "max_tokens", code: "context_length_exceeded")
            }
            return requested
        }
        return min(defaultMaxTokens, room)
    }
}
