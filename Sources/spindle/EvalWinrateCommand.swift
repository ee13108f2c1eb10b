import ArgumentParser
import Foundation
import SpindleEval
import SpindleIO
import SpindleShards
import SpindleTokenizer
import SpindleTrainer

/// `spindle eval winrate`: two policies answer the same prompts; the reward models judge (Llama 2 §3.4).
struct EvalWinrate: Configurable {
    static let configuration = CommandConfiguration(
        commandName: "winrate",
        abstract: "Win rate of one chat model against another, judged by reward models (Llama 2 §3.4, Fig. 11).",
        discussion: """
        Both checkpoints answer every prompt in the Llama 2 chat format (greedy by default), the
        helpfulness (and safety) reward model scores each prompt + answer, and a prompt is a win for B
        when its score exceeds A's by more than --tie-margin, a tie within it. Prints win / tie / loss
        rates per aspect (helpfulness; with a safety model also safety and Llama 2's gated combined
        reward) with bootstrap 95% intervals, the mean reward gain r_B − r_A with its interval, and
        B's drift from A: the summed log-ratio log π_B − log π_A on B's answers (a KL(B‖A) estimate
        when sampling at --temperature 1), answer length, 4-gram repetition and EOS rate; --output writes them with every pair, --html a
        page with sampled pairs side by side. Prompts are JSON Lines: `prompt` as a string or as chat
        messages (the last user turn is asked), `safety` (optional boolean) marks safety prompts.

        example:
          spindle eval winrate --model-a runs/sft/checkpoint --model-b runs/ppo/best --tokenizer tok.model \\
            --prompts heldout.jsonl --helpfulness-rm runs/rm-helpfulness/checkpoint --html winrate.html
        """)

    @Option(help: "Checkpoint A (the baseline).") var modelA: String
    @Option(help: "Checkpoint B (compared against A).") var modelB: String
    @Option(help: "The SentencePiece .model both checkpoints use.") var tokenizer: String
    @Option(help: "Prompts (JSONL: prompt, optional safety).") var prompts: String
    @Option(help: "Helpfulness reward-model checkpoint.") var helpfulnessRm: String
    @Option(help: "Safety reward-model checkpoint (optional: adds the safety aspect).") var safetyRm: String?
    @Option(help: "System prompt put before every user turn.") var system: String?
    @Option(help: "New tokens per answer at most.") var maxNewTokens = 128
    @Option(help: "Sampling temperature (0: greedy).") var temperature: Float = 0
    @Option(help: "Nucleus sampling top-p when sampling.") var topP: Float = 0.9
    @Option(help: "A reward difference within this counts as a tie.") var tieMargin = 0.0
    @Option(help: "Bootstrap resamples for the 95% intervals.") var bootstrap = 1000
    @Option(help: "Use only the first N prompts.") var limit: Int?
    @Option(help: "Pairs shown on the HTML page.") var show = 20
    @Option(help: "Seed (sampling, bootstrap, the pairs shown).") var seed: UInt64 = 0
    @Option(help: "Threads.") var threads = 2
    @Option(name: [.short, .long], help: "Write the rates and every pair as JSON here.") var output: String?
    @Option(help: "Write the HTML page here.") var html: String?
    @OptionGroup var config: ConfigOptions
    @OptionGroup var overwriting: OverwriteOption

    func validate() throws {
        try Check.int("--max-new-tokens", maxNewTokens, min: 1, max: 1 << 20)
        try Check.int("--bootstrap", bootstrap, min: 0, max: 1_000_000)
        try Check.int("--limit", limit, min: 1)
        try Check.int("--show", show, min: 0, max: 100_000)
        try Check.threads(threads)
        guard temperature >= 0 && temperature <= 10 else { throw ValidationError("--temperature \(temperature) is not in 0…10") }
        guard topP > 0 && topP <= 1 else { throw ValidationError("--top-p \(topP) is not in (0, 1]") }
        guard tieMargin >= 0 && tieMargin.isFinite else { throw ValidationError("--tie-margin \(tieMargin) must be a finite number ≥ 0") }
    }

    func run() throws {
        BLASBackend.prepareProcess()   // before any input is read: it may re-exec
        let tok = try SentencePieceModel(contentsOf: tokenizer)
        let a = try Checkpoint.load(modelA, head: .languageModel, tokenizer: tok, tokenizerName: tokenizer)
        let b = try Checkpoint.load(modelB, head: .languageModel, tokenizer: tok, tokenizerName: tokenizer)
        let rewards = try RewardPair.load(helpfulness: helpfulnessRm, safety: safetyRm, policy: (modelA, a.config), rows: 4, seqLen: a.config.maxSeqLen)
        for m in [a, b] { m.parallel = Parallel(threads: threads) }
        rewards.use(Parallel(threads: threads))
        BLASBackend.shared.threads = threads
        var o = SamplingOptions()
        o.temperature = temperature; o.topP = topP; o.maxNewTokens = maxNewTokens; o.seed = seed
        let rows = try WinRatePrompts.read(prompts, limit: limit)
        let fitted = try GenerateRun(model: a, options: o).fit(try rows.map { try GenerateRun.chatPrompt($0.text, system: system, encoder: tok) },
                                                              name: prompts, truncate: .left) { StandardError.line($0) }
        let ps = zip(rows, fitted).map { WinRatePrompt(text: $0.text, tokens: $1, isSafety: $0.isSafety) }
        var answers: [[[Int32]]] = []
        for (name, m) in [("A", a), ("B", b)] {
            let progress = Progress(label: "winrate answers \(name)")
            answers.append(WinRate.answers(m, prompts: ps, options: o) { progress.update(records: $0, bytes: 0) })
            progress.finish()
        }
        var outcome = WinRate.compare(prompts: ps, responsesA: answers[0], responsesB: answers[1], rewards: rewards,
                                      decode: { (try? tok.decode($0)) ?? "" }, margin: tieMargin, resamples: bootstrap, seed: seed)
        outcome.drift = try WinRate.drift(a: a, b: b, prompts: ps, responsesA: answers[0], responsesB: answers[1],
                                          resamples: bootstrap, seed: seed &+ 3)
        for line in outcome.summaryLines { print(line) }
        if let output {
            let f = try OutputFile(path: output)
            try f.write(outcome.json(modelA: modelA, modelB: modelB, margin: tieMargin, resamples: bootstrap).bytes(.indented) + [10])
            try f.commit()
        }
        if let html {
            let f = try OutputFile(path: html)
            try f.write(Array(outcome.html(modelA: modelA, modelB: modelB, margin: tieMargin, show: show, seed: seed).utf8))
            try f.commit()
        }
    }
}
