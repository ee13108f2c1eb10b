import ArgumentParser
import Foundation
import SpindleIO
import SpindleTokenizer
import SpindleTrainer

struct Generate: Configurable {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Sample a continuation from a checkpoint with a KV cache (temperature, top-p, seed).",
        discussion: """
        The prompt is text (--prompt "..." --tokenizer T.model, --chat for the Llama 2 chat format, with an
        optional --system prompt; the answer is printed as text) or token ids (--ids "1 450 4996", ids out). Generated ids go to stdout, space-separated, ending at </s> (id 2) or --max-new-tokens. --prompts FILE (or - for stdin) samples a continuation for every line of ids (--samples K: K of them, K output lines per prompt), --batch-size sequences decoding together: each prompt is run through the model once and its KV cache shared by its samples. Sample j of prompt i uses seed + i*K + j, so the output does not depend on the batch size (and equals K copies of each prompt line). --checkpoint also takes a llama2.c .bin file.

        examples:
          spindle generate --checkpoint runs/nano/checkpoint --ids "1" --seed 7
          spindle generate --checkpoint DIR --prompts prompts.ids > samples.ids
          spindle generate --checkpoint DIR --prompts prompts.ids --samples 8 --batch-size 32
          spindle generate --config stories15M --benchmark 256
        """)

    @Option(help: "Checkpoint directory (config.json + model.safetensors), or a llama2.c .bin file.") var checkpoint: String?
    @Option(name: .customLong("config"), help: "Training config or preset (random weights; with --benchmark).") var preset: String?
    @Option(help: "Prompt token ids, space-separated (BOS = 1 is not added for you).") var ids: String?
    @Option(help: "Text prompt (with --tokenizer); BOS is added, the answer is printed as text.") var prompt: String?
    @Option(help: "The SentencePiece .model for --prompt (checked against the checkpoint's tokenizer stamp).") var tokenizer: String?
    @Flag(help: "With --prompt: render it as a user turn in the Llama 2 chat format ([INST] ... [/INST]).") var chat = false
    @Option(help: "With --chat: a system prompt, folded into the first user turn as <<SYS>>.") var system: String?
    @Option(help: "File of prompts, token ids one prompt per line ('-' = stdin): one output line each.") var prompts: String?
    @Option(help: "Sequences sampled together with --prompts.") var batchSize = 8
    @Option(help: "With --prompts: continuations per prompt (one output line each).") var samples = 1
    @Option(help: "Sampling temperature; 0 = greedy.") var temperature: Float = 0.8
    @Option(help: "Nucleus sampling threshold (1 = off).") var topP: Float = 0.9
    @Option(help: "Maximum tokens to generate.") var maxNewTokens = 256
    @Option(help: "Random seed.") var seed: UInt64 = 0
    @Option(help: "Threads.") var threads = 2
    @Option(help: "Generate N tokens (batch 1, greedy) and print tokens/s as the last line.") var benchmark: Int?
    @Option(help: "A prompt too long for the context: refused unless cut at the left or right end.") var truncate: GenerateRun.Truncation?
    @OptionGroup var config: ConfigOptions

    func validate() throws {
        if prompt != nil && tokenizer == nil { throw ValidationError("--prompt needs --tokenizer MODEL (or give token ids with --ids)") }
        if (chat || system != nil) && prompt == nil { throw ValidationError("--chat and --system go with a text --prompt") }
        if checkpoint == nil && preset == nil { throw ValidationError("give --checkpoint DIR (or --config with --benchmark)") }
        if let benchmark, benchmark < 2 { throw ValidationError("--benchmark needs at least 2 tokens") }
        try Check.int("--batch-size", batchSize, min: 1, max: 4096)
        try Check.int("--samples", samples, min: 1, max: 4096)
        if samples > 1 && prompts == nil { throw ValidationError("--samples goes with --prompts FILE") }
        try Check.real("--temperature", temperature, 0, 100)
        try Check.real("--top-p", topP, 0, 1, openLow: true)
        try Check.int("--max-new-tokens", maxNewTokens, min: 1, max: 1 << 20)
        try Check.int("--benchmark", benchmark, min: 2, max: 1 << 20)
        try Check.threads(threads)
        if benchmark == nil && prompt == nil && ids == nil && prompts == nil {
            throw ValidationError("give the prompt as --prompt TEXT --tokenizer MODEL, --ids \"1 ...\" or --prompts FILE")
        }
    }

    func run() throws {
        BLASBackend.prepareProcess()   // before any input is read: it may re-exec
        BLASBackend.shared.threads = threads
        let model = try checkpoint.map { try Checkpoint.load($0) }
            ?? LlamaModel(config: Presets.load(preset ?? "").model, seed: seed)
        if model.layout.head < 0 { throw TrainerError.config(field: "--checkpoint", message: "this checkpoint is a reward model (score head): it cannot generate") }
        model.parallel = Parallel(threads: threads)
        if let n = benchmark {
            StandardError.line("blas: \(BLASBackend.shared.summary)")
            let (count, secs) = GenerateRun.benchmark(model: model, tokens: n)
            print(String(format: "generated %d tokens (batch 1, KV cache) in %.3f s", count, secs))
            print(String(format: "tokens/s: %.1f", Double(count) / secs))
            return
        }
        var o = SamplingOptions()
        o.temperature = temperature; o.topP = topP; o.maxNewTokens = maxNewTokens; o.seed = seed
        let run = GenerateRun(model: model, options: o)
        if let prompts { return try sampleMany(run, path: prompts) }
        if let prompt, let tokenizer { return try sampleText(run, prompt: prompt, tokenizer: tokenizer) }
        let promptIds = try run.fit([TokenIDs.parse(Substring(ids ?? ""), file: "--ids", line: 1)], name: "--ids",
                                    truncate: truncate, warn: StandardError.line)[0]
        var first = true
        let result = run.sample(promptIds) { tok in
            FileHandle.standardOutput.write(Data(((first ? "" : " ") + String(tok)).utf8))
            first = false
        }
        print("")
        StandardError.line("\(result.tokens.count) tokens\(result.stopped ? ", stopped at </s>" : "")")
    }

    /// A text prompt in, the answer out as text (decoded once at the end, so byte-fallback pieces
    /// join into whole characters).
    func sampleText(_ run: GenerateRun, prompt: String, tokenizer: String) throws {
        let sp = try SentencePieceModel(contentsOf: tokenizer)
        if let checkpoint { try GenerateRun.checkTokenizer(sp, name: tokenizer, checkpoint: checkpoint) }
        let rendered = chat ? try GenerateRun.chatPrompt(prompt, system: system, encoder: sp) : sp.encode(prompt, addBOS: true)
        let promptIds = try run.fit([rendered], name: "--prompt", truncate: truncate, warn: StandardError.line)[0]
        let result = run.sample(promptIds)
        print((try? sp.decode(result.tokens)) ?? "")
        StandardError.line("\(result.tokens.count) tokens\(result.stopped ? ", stopped at </s>" : "")")
    }

    func sampleMany(_ run: GenerateRun, path: String) throws {
        let all = try run.fit(TokenIDs.readLines(path), name: path, truncate: truncate, warn: StandardError.line)
        var tokens = 0
        let t0 = DispatchTime.now().uptimeNanoseconds
        run.sampleMany(all, samples: samples, batchSize: batchSize) { out in
            tokens += out.reduce(0) { $0 + $1.tokens.count }
            FileHandle.standardOutput.write(Data(out.map { $0.tokens.map(String.init).joined(separator: " ") + "\n" }.joined().utf8))
        }
        let secs = Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9
        StandardError.line("\(all.count) prompts sampled\(samples > 1 ? ", \(samples) samples each" : ""): "
            + String(format: "%d tokens in %.3f s (%.1f tokens/s)", tokens, secs, Double(tokens) / max(secs, 1e-9)))
    }
}

extension GenerateRun.Truncation: ExpressibleByArgument {}
