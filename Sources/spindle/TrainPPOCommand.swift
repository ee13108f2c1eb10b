import ArgumentParser
import Foundation
import SpindleIO
import SpindleTrainer

/// `spindle train ppo`: RLHF with PPO and the Llama 2 two-reward-model gate.
struct TrainPPO: Configurable {
    static let configuration = CommandConfiguration(
        commandName: "ppo",
        abstract: "RLHF with PPO: policy, frozen reference, value model, helpfulness and safety reward models.",
        discussion: """
        Reward (Llama 2 §3.2.3): R_c = R_s on safety prompts or when σ(R_s) < 0.15, else R_h; whitened
        over the rollout; added at the last response token; every token pays −β·(log π − log π_ref).
        GAE (γ, λ), clipped surrogate (ε 0.2), clipped value loss, mini-batches, AdamW at a constant lr,
        gradient clip 1.0. The value model starts from the helpfulness reward model.

        Every iteration logs (stderr and OUTPUT/metrics.jsonl): mean and std of R_h, R_s and the
        combined reward, the fraction gated to the safety model, KL to the reference (k1 and k3, summed
        over a response), approximate KL between rollout and updated policy, clip fraction, policy and
        value loss, entropy, response length (mean, p95) and EOS rate. Every --eval-every iterations the
        held-out prompts are sampled at a fixed seed; the best policy is kept in OUTPUT/best and training
        stops after --patience evaluations without improvement.

        Paper preset (7B): --beta 0.01 --lr 1e-6 --prompts-per-iteration 512 --mini-batch 64, 200-400
        iterations. The defaults are that recipe scaled to CPU sizes.

        example:
          spindle train ppo --init runs/sft/checkpoint --prompts shards/prompts --helpfulness-rm runs/rm-h/checkpoint \\
              --safety-rm runs/rm-s/checkpoint --iterations 20 -o runs/ppo
        """)

    @Option(name: .customLong("init"), help: "Policy and reference checkpoint (the SFT model).") var initFrom: String
    @Option(help: "Prompts-only shard directory.") var prompts: String
    @Option(help: "Helpfulness reward-model checkpoint.") var helpfulnessRm: String
    @Option(help: "Safety reward-model checkpoint (optional).") var safetyRm: String?
    @Option(name: [.short, .long], help: "Output directory.") var output: String
    @Option(help: "PPO iterations.") var iterations = 20
    @Option(help: "Prompts sampled per iteration (rollout batch).") var promptsPerIteration = 16
    @Option(help: "Sequences per gradient step.") var miniBatch = 8
    @Option(help: "PPO epochs over each rollout.") var ppoEpochs = 1
    @Option(help: "Policy learning rate (constant).") var lr: Float = 1e-5
    @Option(help: "Value-model learning rate (constant).") var valueLr: Float = 1e-4
    @Option(help: "KL penalty coefficient β.") var beta = 0.01
    @Option(help: "Discount γ.") var gamma = 1.0
    @Option(help: "GAE λ.") var lambda = 0.95
    @Option(help: "PPO clip ε.") var clip = 0.2
    @Option(help: "Sampling temperature.") var temperature: Float = 1.0
    @Option(help: "New tokens per response at most.") var maxNewTokens = 32
    @Flag(help: "Remove each rollout's linear trend of reward on response length before whitening, and choose the best policy by the length-controlled held-out reward (against length hacking).")
    var lengthDebias = false
    @Option(help: "Hold out this fraction of the prompts for early stopping.") var holdout = 0.2
    @Option(help: "Evaluate on the held-out prompts at the start and every N iterations (0: never).") var evalEvery = 5
    @Option(help: "Stop after N evaluations without a better held-out reward (0: never).") var patience = 3
    @Option(help: "Samples per held-out prompt at each evaluation.") var evalSamples = 4
    @Option(help: "Rows per forward pass.") var rows = 4
    @Option(help: "Seed.") var seed: UInt64 = 1234
    @Option(help: "Threads.") var threads = 2
    @Flag(help: "Continue from OUTPUT/checkpoint.") var resume = false
    @Flag(help: "Replace a run already in OUTPUT (without --resume or this, such a directory is refused).") var overwrite = false
    @OptionGroup(visibility: .hidden) var lora: LoRAOptions
    @OptionGroup var config: ConfigOptions

    func validate() throws {
        try Check.int("--iterations", iterations, min: 1)
        try Check.real("--lr", lr, 0, 1, openLow: true)
        try Check.real("--value-lr", valueLr, 0, 1, openLow: true)
        try Check.real("--beta", beta, 0)
        try Check.real("--gamma", gamma, 0, 1)
        try Check.real("--lambda", lambda, 0, 1)
        try Check.real("--clip", clip, 0, 1, openLow: true)
        try Check.real("--temperature", temperature, 0, 100, openLow: true)
        try Check.int("--max-new-tokens", maxNewTokens, min: 1, max: 1 << 20)
        try Check.int("--eval-every", evalEvery, min: 0)
        try Check.int("--patience", patience, min: 0)
        try Check.int("--eval-samples", evalSamples, min: 1, max: 4096)
        try Check.int("--rows", rows, min: 1, max: 4096)
        try Check.int("--prompts-per-iteration", promptsPerIteration, min: 1, max: 1 << 16)
        try Check.int("--mini-batch", miniBatch, min: 1, max: 1 << 16)
        try Check.threads(threads)
        try lora.refuse(command: "train ppo", why: "its rollouts sample the full policy weights, and the value model trains beside it")
        guard promptsPerIteration >= 1, miniBatch >= 1, ppoEpochs >= 1, holdout >= 0, holdout < 1 else {
            throw ValidationError("--prompts-per-iteration, --mini-batch and --ppo-epochs must be positive; --holdout in [0, 1)")
        }
    }

    var settings: PPORunSettings {
        var p = PPOSettings()
        p.iterations = iterations; p.promptsPerIteration = promptsPerIteration; p.miniBatch = miniBatch; p.ppoEpochs = ppoEpochs
        p.lr = lr; p.valueLR = valueLr; p.beta = beta; p.gamma = gamma; p.lambda = lambda; p.clip = clip
        p.temperature = temperature; p.maxNewTokens = maxNewTokens; p.lengthDebias = lengthDebias; p.evalEvery = evalEvery; p.patience = patience
        p.rows = rows; p.seed = seed; p.evalSamples = evalSamples; p.threads = threads
        var s = PPORunSettings(ppo: p, initFrom: initFrom, prompts: prompts, helpfulnessRM: helpfulnessRm, output: output)
        s.safetyRM = safetyRm; s.holdout = holdout; s.resume = resume; s.overwrite = overwrite
        return s
    }

    var configJSON: JSONValue { settings.json }

    func run() throws {
        BLASBackend.prepareProcess()   // before any input is read: it may re-exec
        if let line = PPORun.summaryLine(try PPORun.run(settings, log: StandardError.line)) { print(line) }
    }
}
