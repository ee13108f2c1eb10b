import Foundation
import SpindleIO
import SpindleShards

/// Whitespace-separated token ids, as `spindle tokenizer encode` writes them.
public enum TokenIDs {
    /// Parses one line of ids; `file` and `line` locate an error.
    public static func parse(_ s: Substring, file: String, line: Int) throws -> [Int32] {
        try s.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).map {
            guard let v = Int32($0), v >= 0 else {
                throw TrainerError.data(file: file, line: line, message: "not a token id: \"\($0.prefix(20))\"")
            }
            return v
        }
    }

    /// Every line of `path` ('-' = stdin) as ids, one prompt per line.
    public static func readLines(_ path: String) throws -> [[Int32]] {
        var lines = String(decoding: try InputFile.readAll(path: path), as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() }
        return try lines.enumerated().map { try parse($1, file: path, line: $0 + 1) }
    }
}

/// `spindle generate`: sampling from a model, one prompt or many, and its speed benchmark.
public struct GenerateRun {
    public var model: LlamaModel
    public var options = SamplingOptions()

    public init(model: LlamaModel, options: SamplingOptions) {
        self.model = model
        self.options = options
        self.options.stopToken = Int32(model.config.eosId)
    }

    /// A user turn (after an optional system prompt) in the Llama 2 chat format, ending in [/INST].
    public static func chatPrompt(_ text: String, system: String?, encoder: any TokenEncoder) throws -> [Int32] {
        var messages: [ChatMessage] = []
        if let system { messages.append(ChatMessage(.system, system)) }
        messages.append(ChatMessage(.user, text))
        return try Llama2ChatTemplate(encoder: encoder).renderPrompt(messages)
    }

    /// Refuses a tokenizer other than the one `checkpoint` was trained with (when it records one).
    public static func checkTokenizer(_ encoder: any TokenEncoder, name: String, checkpoint: String) throws {
        try Checkpoint.checkStamp(of: checkpoint, tokenizer: encoder, tokenizerName: name)
    }

    /// Which end of a prompt longer than the context is dropped (as transformers' truncation_side).
    public enum Truncation: String, Sendable, CaseIterable { case left, right }

    /// Refuses empty prompts and ids outside the vocabulary; `name` says where the prompts came from.
    /// A prompt that leaves no room in the context for `maxNewTokens` is an error, or with `truncate`
    /// is cut to fit (a warning says so): generating "0 tokens" and succeeding would hide it.
    public func fit(_ prompts: [[Int32]], name: String, truncate: Truncation? = nil, warn: (String) -> Void) throws -> [[Int32]] {
        let n = model.config.vocabSize, context = model.config.maxSeqLen
        let room = max(1, context - options.maxNewTokens)   // prompt tokens that leave space for the answer
        return try prompts.enumerated().map { i, p in
            let line = prompts.count > 1 ? i + 1 : nil
            if p.isEmpty || p.contains(where: { Int($0) >= n }) {
                throw TrainerError.data(file: name, line: line, message: "empty prompt or token outside the vocabulary (\(n))")
            }
            guard p.count > room else { return p }
            let at = line.map { "prompt \($0)" } ?? "the prompt"
            guard let truncate else {
                if p.count < context {
                    warn("\(name): \(at) has \(p.count) tokens: at most \(context - p.count) of --max-new-tokens \(options.maxNewTokens) fit the context of \(context)")
                    return p
                }
                throw TrainerError.data(file: name, line: line, message: "\(at) has \(p.count) tokens, the model's context is \(context): no room to generate (--truncate left|right cuts it)")
            }
            warn("\(name): \(at) cut from \(p.count) to \(room) tokens (--truncate \(truncate.rawValue))")
            return truncate == .left ? Array(p.suffix(room)) : Array(p.prefix(room))
        }
    }

    /// One prompt; `onToken` sees each new id as it is sampled.
    public func sample(_ prompt: [Int32], onToken: ((Int32) -> Void)? = nil) -> Generation {
        let gen = Generator(model: model, batch: 1, maxLen: min(model.config.maxSeqLen, prompt.count + options.maxNewTokens))
        return gen.generate(prompts: [prompt], options: options) { _, tok in onToken?(tok) }[0]
    }

    /// Many prompts, `samples` continuations each, `batchSize` sequences decoding together (each prompt
    /// prefilled once per batch, its cache shared by its samples). Sample j of prompt i draws with seed
    /// + i·samples + j, so the output does not depend on the batch size and equals that of `samples`
    /// copies of every prompt. `write` receives each batch's outputs in order (prompt-major).
    public func sampleMany(_ prompts: [[Int32]], samples: Int = 1, batchSize: Int, write: ([Generation]) -> Void) {
        let longest = prompts.map(\.count).max() ?? 0
        let gen = Generator(model: model, batch: min(batchSize, max(1, prompts.count * samples)),
                            maxLen: min(model.config.maxSeqLen, longest + options.maxNewTokens))
        let perBatch = max(1, batchSize / samples)   // prompts per call (a prompt's samples may exceed a batch)
        var start = 0
        while start < prompts.count {
            let chunk = Array(prompts[start..<min(prompts.count, start + perBatch)])
            var o = options
            o.seed = options.seed &+ UInt64(start * samples)
            write(gen.generate(prompts: chunk, samplesPerPrompt: samples, options: o).flatMap { $0 })
            start += chunk.count
        }
    }

    /// `--benchmark N`: N greedy tokens at batch 1 with the KV cache after a short warm-up; returns
    /// the tokens generated and the seconds taken.
    public static func benchmark(model: LlamaModel, tokens n: Int) -> (tokens: Int, seconds: Double) {
        let gen = Generator(model: model, batch: 1, maxLen: min(n + 1, model.config.maxSeqLen))
        var o = SamplingOptions()
        o.temperature = 0; o.maxNewTokens = n; o.stopToken = nil
        var warm = o
        warm.maxNewTokens = 8
        _ = gen.generate(prompts: [[1]], options: warm)
        let t0 = DispatchTime.now().uptimeNanoseconds
        let out = gen.generate(prompts: [[1]], options: o)[0]
        // n positions were run through the model (the prompt token plus n − 1 generated ones fed back).
        return (out.tokens.count, Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9)
    }
}
