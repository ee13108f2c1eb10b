// PPORunSettings.swift: a whole `spindle train ppo` run from its settings — the reference (the SFT
// model), the prompts split into training and held-out ones, the reward models, the policy and value
// model (fresh from the SFT model and the helpfulness reward model, or from OUTPUT/checkpoint with
// their AdamW state), then PPORun.
import Foundation
import SpindleIO
import SpindleShards

/// Everything a `spindle train ppo` run needs.
public struct PPORunSettings: Sendable {
    /// The hyperparameters; `seqLen` is set from the reference model's context when the run starts.
    public var ppo: PPOSettings
    /// Policy and reference checkpoint (the SFT model).
    public var initFrom: String
    /// Prompts-only shard directory.
    public var prompts: String
    public var helpfulnessRM: String
    public var safetyRM: String?
    /// Output directory: checkpoint/{policy,value}, best/, metrics.jsonl, report.html.
    public var output: String
    /// Hold out this fraction of the prompts (every k-th) for early stopping; in [0, 1).
    public var holdout = 0.2
    /// Continue from `output`/checkpoint.
    public var resume = false
    /// Replace a run already in `output` (without it, a directory holding one is refused unless `resume`).
    public var overwrite = false

    public init(ppo: PPOSettings, initFrom: String, prompts: String, helpfulnessRM: String, output: String) {
        self.ppo = ppo
        self.initFrom = initFrom
        self.prompts = prompts
        self.helpfulnessRM = helpfulnessRM
        self.output = output
    }

    /// The settings as `--print-config` shows them (without `seq_len`, which the reference sets).
    public var json: JSONValue {
        .object([
            ("init", .string(initFrom)), ("prompts", .string(prompts)), ("helpfulness_rm", .string(helpfulnessRM)),
            ("safety_rm", safetyRM.map { .string($0) } ?? .null), ("output", .string(output)), ("holdout", .double(holdout)),
            ("resume", .bool(resume)), ("ppo", .object((ppo.json.members ?? []).filter { $0.0 != "seq_len" })),
        ])
    }
}

extension PPOSettings {
    /// The hyperparameters under their flag names (snake_case).
    public var json: JSONValue {
        .object([
            ("iterations", .int(iterations)), ("prompts_per_iteration", .int(promptsPerIteration)), ("mini_batch", .int(miniBatch)),
            ("ppo_epochs", .int(ppoEpochs)), ("lr", .float(lr)), ("value_lr", .float(valueLR)), ("beta", .double(beta)),
            ("gamma", .double(gamma)), ("lambda", .double(lambda)), ("clip", .double(clip)), ("clip_value", .double(clipValue)),
            ("vf_coef", .double(vfCoef)), ("temperature", .float(temperature)), ("max_new_tokens", .int(maxNewTokens)),
            ("length_debias", .bool(lengthDebias)),
            ("eval_every", .int(evalEvery)), ("patience", .int(patience)), ("eval_samples", .int(evalSamples)), ("seed", .int(seed)),
            ("rows", .int(rows)), ("seq_len", .int(seqLen)), ("threads", .int(threads)),
        ])
    }
}

extension PPORun {
    /// Runs `settings` into `settings.output` (see `run(trainer:…)`).
    public static func run(_ settings: PPORunSettings, log: (String) -> Void) throws
        -> (stats: [PPOIterationStats], eval: [(Int, Double)], stoppedEarly: Bool) {
        var s = settings.ppo
        try RunDirectory.checkFresh(settings.output, resume: settings.resume, overwrite: settings.overwrite)
        let initFrom = settings.initFrom
        let reference = try Checkpoint.load(initFrom)
        guard reference.layout.head >= 0 else { throw TrainerError.config(field: "init", message: "\(initFrom) has no language-model head") }
        let stamp = try PostTrainData.readStamp(initFrom)
        s.seqLen = reference.config.maxSeqLen
        let ds = try PostTrainData.open(settings.prompts, kind: .prompts, model: reference.config, stamp: stamp)
        let (train, held) = split(try PostTrainData.prompts(ds), holdout: settings.holdout)
        guard !train.isEmpty else { throw TrainerError.data(file: settings.prompts, line: nil, message: "no training prompts left after the hold-out") }
        let rewards = try RewardPair.load(helpfulness: settings.helpfulnessRM, safety: settings.safetyRM, policy: (initFrom, reference.config),
                                          rows: s.rows, seqLen: reference.config.maxSeqLen)
        let trainer = try makeTrainer(settings, ppo: s, reference: reference, stamp: stamp, rewards: rewards)
        let m = ds.metadata.tokenizer
        return try run(trainer: trainer, train: train, heldOut: held, out: settings.output,
                       stamp: stamp ?? TokenizerStamp(fingerprint: m.fingerprint, vocabSize: m.vocabSize, bosID: m.bosID, eosID: m.eosID),
                       resumed: settings.resume, log: log)
    }

    /// Held out: every k-th prompt (deterministic, spread over the mix), k = 1 / `holdout` rounded, at least 2.
    static func split(_ all: [SamplingPrompt], holdout: Double) -> (train: [SamplingPrompt], heldOut: [SamplingPrompt]) {
        var train: [SamplingPrompt] = [], held: [SamplingPrompt] = []
        let every = holdout > 0 ? max(2, Int((1 / holdout).rounded())) : 0
        for (i, p) in all.enumerated() { if every > 0 && i % every == every - 1 { held.append(p) } else { train.append(p) } }
        return (train, held)
    }

    /// The policy and value model (fresh, or resumed with their AdamW state), checked against the
    /// reference, in a trainer.
    static func makeTrainer(_ settings: PPORunSettings, ppo: PPOSettings, reference: LlamaModel, stamp: TokenizerStamp?,
                            rewards: RewardPair) throws -> PPOTrainer {
        let initFrom = settings.initFrom, ckpt = settings.output + "/checkpoint"
        let policy: LlamaModel, value: LlamaModel
        if settings.resume {
            guard FileManager.default.fileExists(atPath: ckpt + "/value/trainer_state.json") else {
                throw TrainerError.io(file: ckpt, message: "--resume: no PPO checkpoint here")
            }
            policy = try Checkpoint.load(ckpt + "/policy")
            value = try Checkpoint.load(ckpt + "/value")
            guard policy.config == reference.config else {
                throw TrainerError.config(field: "init", message: "the checkpoint's policy has another shape than --init \(initFrom)")
            }
        } else {
            policy = try Checkpoint.load(initFrom)
            value = try Checkpoint.load(settings.helpfulnessRM)
        }
        // `RewardPair.load` checked both reward models against the policy (vocabulary, tokenizer). Widths
        // may differ: the value model (the helpfulness model's copy) runs its own forward passes, and
        // rm-real's safety model is 32 wide beside a 64-wide policy.
        let trainer = try PPOTrainer(settings: ppo, policy: policy, reference: reference, value: value, rewards: rewards)
        if settings.resume { try trainer.restoreTrainingState(from: ckpt) }
        return trainer
    }

    /// The line `spindle train ppo` prints when done (nil when no iteration ran).
    public static func summaryLine(_ r: (stats: [PPOIterationStats], eval: [(Int, Double)], stoppedEarly: Bool)) -> String? {
        guard let f = r.stats.first, let l = r.stats.last else { return nil }
        let held = r.eval.isEmpty ? "" : String(format: "  held-out %.4f -> %.4f (best %.4f)", r.eval.first!.1, r.eval.last!.1, r.eval.map(\.1).max()!)
        return String(format: "iterations %d  combined reward %.4f -> %.4f  KL(k1) %.4f -> %.4f%@", l.iteration, f.rewardCombined.mean,
                      l.rewardCombined.mean, f.klK1, l.klK1, held)
    }
}
