import ArgumentParser
import Foundation
import SpindleIO
import SpindleShards
import SpindleTokenizer
import SpindleTrainer

/// Parses whitespace-separated token ids.
func parseIds(_ s: Substring, file: String, line: Int) throws -> [Int32] {
    try s.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).map {
        guard let v = Int32($0), v >= 0 else {
            throw TrainerError.data(file: file, line: line, message: "not a token id: \"\($0.prefix(20))\"")
        }
        return v
    }
}

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Sample a continuation from a checkpoint with a KV cache (temperature, top-p, seed).",
        discussion: """
        The prompt is text (--prompt "..." --tokenizer T.model, --chat for the Llama 2 chat format, with an
        optional --system prompt; the answer is printed as text) or token ids (--ids "1 450 4996", ids out). Generated ids go to stdout, space-separated, ending at </s> (id 2) or --max-new-tokens. --prompts FILE (or - for stdin) samples a continuation for every line of ids, --batch-size at a time through the batched sampler, one output line per prompt; prompt i uses seed + i, so the output does not depend on the batch size. --checkpoint also takes a llama2.c .bin file.

        examples:
          spindle generate --checkpoint runs/nano/checkpoint --ids "1" --seed 7
          spindle generate --checkpoint DIR --prompts prompts.ids > samples.ids
          spindle generate --config stories15M --benchmark 256
        """)

    @Option(help: "Checkpoint directory (config.json + model.safetensors), or a llama2.c .bin file.") var checkpoint: String?
    @Option(help: "Training config or preset (random weights; with --benchmark).") var config: String?
    @Option(help: "Prompt token ids, space-separated (BOS = 1 is not added for you).") var ids: String?
    @Option(help: "Text prompt (with --tokenizer); BOS is added, the answer is printed as text.") var prompt: String?
    @Option(help: "The SentencePiece .model for --prompt (checked against the checkpoint's tokenizer stamp).") var tokenizer: String?
    @Flag(help: "With --prompt: render it as a user turn in the Llama 2 chat format ([INST] ... [/INST]).") var chat = false
    @Option(help: "With --chat: a system prompt, folded into the first user turn as <<SYS>>.") var system: String?
    @Option(help: "File of prompts, token ids one prompt per line ('-' = stdin): one output line each.") var prompts: String?
    @Option(help: "Prompts sampled together with --prompts.") var batchSize = 8
    @Option(help: "Sampling temperature; 0 = greedy.") var temperature: Float = 0.8
    @Option(help: "Nucleus sampling threshold (1 = off).") var topP: Float = 0.9
    @Option(help: "Maximum tokens to generate.") var maxNewTokens = 256
    @Option(help: "Random seed.") var seed: UInt64 = 0
    @Option(help: "Threads.") var threads = 2
    @Option(help: "Generate N tokens (batch 1, greedy) and print tokens/s as the last line.") var benchmark: Int?

    func run() throws {
        BLASBackend.prepareProcess()   // before any input is read: it may re-exec
        BLASBackend.shared.threads = threads
        if prompt != nil && tokenizer == nil { throw ValidationError("--prompt needs --tokenizer MODEL (or give token ids with --ids)") }
        if (chat || system != nil) && prompt == nil { throw ValidationError("--chat and --system go with a text --prompt") }
        let model: LlamaModel = try exitOnTrainerError("generate") {
            if let checkpoint { return try Checkpoint.load(checkpoint) }
            guard let config else { throw TrainerError.config(field: "--checkpoint", message: "give --checkpoint DIR (or --config with --benchmark)") }
            return try LlamaModel(config: TrainConfig.load(resolveConfigPath(config)).model, seed: seed)
        }
        if model.layout.head < 0 { throw ValidationError("this checkpoint is a reward model (score head): it cannot generate") }
        model.parallel = Parallel(threads: threads)
        if let n = benchmark {
            guard n > 1 else { throw ValidationError("--benchmark needs at least 2 tokens") }
            let gen = Generator(model: model, batch: 1, maxLen: min(n + 1, model.config.maxSeqLen))
            var o = SamplingOptions()
            o.temperature = 0; o.maxNewTokens = n; o.stopToken = nil
            stderrLine("blas: \(BLASBackend.shared.summary)")
            _ = gen.generate(prompts: [[1]], options: { var w = o; w.maxNewTokens = 8; return w }())   // warm-up
            let t0 = DispatchTime.now().uptimeNanoseconds
            let out = gen.generate(prompts: [[1]], options: o)[0]
            let secs = Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9
            // n positions were run through the model (the prompt token plus n − 1 generated ones fed back).
            print(String(format: "generated %d tokens (batch 1, KV cache) in %.3f s", out.tokens.count, secs))
            print(String(format: "tokens/s: %.1f", Double(out.tokens.count) / secs))
            return
        }
        if let prompts {
            try generateMany(model: model, path: prompts)
            return
        }
        var sentencePiece: SentencePieceModel?
        let promptIds: [Int32]
        if let prompt, let tokenizer {
            let sp = try exitOnTrainerError("generate") { () throws -> SentencePieceModel in
                let sp = try SentencePieceModel(contentsOf: tokenizer)
                if let checkpoint, let stamp = try PostTrainData.readStamp(checkpoint), stamp.fingerprint != sp.fingerprint {
                    throw TrainerError.config(field: "--tokenizer", message: "\(tokenizer) is not the tokenizer \(checkpoint) was trained with (fingerprint \(stamp.fingerprint))")
                }
                return sp
            }
            sentencePiece = sp
            if chat {
                var messages: [ChatMessage] = []
                if let system { messages.append(ChatMessage(.system, system)) }
                messages.append(ChatMessage(.user, prompt))
                do { promptIds = try Llama2ChatTemplate(encoder: sp).renderPrompt(messages) } catch {
                    throw ValidationError("--prompt: \(error)")
                }
            } else {
                promptIds = sp.encode(prompt, addBOS: true)
            }
        } else {
            guard let ids else { throw ValidationError("give the prompt as --prompt TEXT --tokenizer MODEL, --ids \"1 ...\" or --prompts FILE") }
            promptIds = try exitOnTrainerError("generate") { try parseIds(Substring(ids), file: "--ids", line: 1) }
        }
        guard !promptIds.isEmpty else { throw ValidationError("--ids is empty") }
        if let bad = promptIds.first(where: { Int($0) >= model.config.vocabSize }) {
            throw ValidationError("--ids: token \(bad) is outside the vocabulary (\(model.config.vocabSize))")
        }
        var o = SamplingOptions()
        o.temperature = temperature; o.topP = topP; o.maxNewTokens = maxNewTokens; o.seed = seed
        o.stopToken = Int32(model.config.eosId)
        let gen = Generator(model: model, batch: 1, maxLen: min(model.config.maxSeqLen, promptIds.count + maxNewTokens))
        var first = true
        let result = gen.generate(prompts: [promptIds], options: o) { _, tok in
            guard sentencePiece == nil else { return }
            FileHandle.standardOutput.write(Data(((first ? "" : " ") + String(tok)).utf8))
            first = false
        }[0]
        if let sp = sentencePiece {
            // Text out: decoded once at the end, so byte-fallback pieces join into whole characters.
            let text = (try? sp.decode(result.tokens)) ?? ""
            print(text)
        } else {
            print("")
        }
        stderrLine("\(result.tokens.count) tokens\(result.stopped ? ", stopped at </s>" : "")")
    }

    func generateMany(model: LlamaModel, path: String) throws {
        guard batchSize > 0 else { throw ValidationError("--batch-size must be positive") }
        let data: Data
        if path == "-" { data = FileHandle.standardInput.readDataToEndOfFile() } else {
            guard let d = FileManager.default.contents(atPath: path) else { throw ValidationError("cannot read \(path)") }
            data = d
        }
        var lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() }
        let all = try exitOnTrainerError("generate") { try lines.enumerated().map { try parseIds($1, file: path, line: $0 + 1) } }
        for (i, p) in all.enumerated() where p.isEmpty || p.contains(where: { Int($0) >= model.config.vocabSize }) {
            throw ValidationError("\(path):\(i + 1): empty prompt or token outside the vocabulary (\(model.config.vocabSize))")
        }
        let longest = all.map(\.count).max() ?? 0
        let gen = Generator(model: model, batch: min(batchSize, max(1, all.count)),
                            maxLen: min(model.config.maxSeqLen, longest + maxNewTokens))
        var start = 0
        while start < all.count {
            let chunk = Array(all[start..<min(all.count, start + batchSize)])
            var o = SamplingOptions()
            o.temperature = temperature; o.topP = topP; o.maxNewTokens = maxNewTokens
            o.seed = seed &+ UInt64(start); o.stopToken = Int32(model.config.eosId)
            let out = gen.generate(prompts: chunk, options: o)
            FileHandle.standardOutput.write(Data(out.map { $0.tokens.map(String.init).joined(separator: " ") + "\n" }.joined().utf8))
            start += chunk.count
        }
        stderrLine("\(all.count) prompts sampled")
    }
}
