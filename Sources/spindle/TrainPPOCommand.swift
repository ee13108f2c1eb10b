import ArgumentParser
import Foundation
import SpindleIO
import SpindleShards
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
    @Option(help: "Hold out this fraction of the prompts for early stopping.") var holdout = 0.2
    @Option(help: "Evaluate on the held-out prompts at the start and every N iterations (0: never).") var evalEvery = 5
    @Option(help: "Stop after N evaluations without a better held-out reward (0: never).") var patience = 3
    @Option(help: "Samples per held-out prompt at each evaluation.") var evalSamples = 4
    @Option(help: "Rows per forward pass.") var rows = 4
    @Option(help: "Seed.") var seed: UInt64 = 1234
    @Option(help: "Threads.") var threads = 2
    @Flag(help: "Continue from OUTPUT/checkpoint.") var resume = false
    @OptionGroup var config: ConfigOptions

    func run() throws {
        BLASBackend.prepareProcess()   // before any input is read: it may re-exec
        var s = PPOSettings()
        s.iterations = iterations; s.promptsPerIteration = promptsPerIteration; s.miniBatch = miniBatch; s.ppoEpochs = ppoEpochs
        s.lr = lr; s.valueLR = valueLr; s.beta = beta; s.gamma = gamma; s.lambda = lambda; s.clip = clip
        s.temperature = temperature; s.maxNewTokens = maxNewTokens; s.evalEvery = evalEvery; s.patience = patience
        s.rows = rows; s.seed = seed; s.evalSamples = evalSamples; s.threads = threads
        guard promptsPerIteration >= 1, miniBatch >= 1, ppoEpochs >= 1, holdout >= 0, holdout < 1 else {
            throw ValidationError("--prompts-per-iteration, --mini-batch and --ppo-epochs must be positive; --holdout in [0, 1)")
        }
        let reference = try Checkpoint.load(initFrom)
        guard reference.layout.head >= 0 else { throw TrainerError.config(field: "init", message: "\(initFrom) has no language-model head") }
        let stamp = try PostTrainData.readStamp(initFrom)
        s.seqLen = reference.config.maxSeqLen
        let ds = try PostTrainData.open(prompts, kind: .prompts, model: reference.config, stamp: stamp)
        let all = try PostTrainData.prompts(ds)
        // Held out: every k-th prompt (deterministic, spread over the mix).
        var train: [SamplingPrompt] = [], held: [SamplingPrompt] = []
        let every = holdout > 0 ? max(2, Int((1 / holdout).rounded())) : 0
        for (i, p) in all.enumerated() { if every > 0 && i % every == every - 1 { held.append(p) } else { train.append(p) } }
        guard !train.isEmpty else { throw TrainerError.data(file: prompts, line: nil, message: "no training prompts left after the hold-out") }
        let rewards = try RewardPair.load(helpfulness: helpfulnessRm, safety: safetyRm, policy: (initFrom, reference.config),
                                          rows: rows, seqLen: reference.config.maxSeqLen)
        let ckpt = output + "/checkpoint"
        let policy: LlamaModel, value: LlamaModel
        if resume {
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
            value = try Checkpoint.load(helpfulnessRm)
        }
        try PostTrainData.checkCompatible((initFrom, reference.config, stamp), (helpfulnessRm, value.config, try PostTrainData.readStamp(helpfulnessRm)), sameWidth: true)
        if let safetyRm {
            let c = try Checkpoint.loadConfig(safetyRm)
            try PostTrainData.checkCompatible((initFrom, reference.config, stamp), (safetyRm, c, try PostTrainData.readStamp(safetyRm)), sameWidth: true)
        }
        let trainer = try PPOTrainer(settings: s, policy: policy, reference: reference, value: value, rewards: rewards)
        if resume {
            let st = try Checkpoint.loadTrainingState(ckpt + "/policy", into: trainer.policyOpt, layout: policy.layout)
            _ = try Checkpoint.loadTrainingState(ckpt + "/value", into: trainer.valueOpt, layout: value.layout)
            trainer.state = st
            trainer.restoreOptimizerSteps()
        }
        let m = ds.metadata.tokenizer
        let r = try PPORun.run(trainer: trainer, train: train, heldOut: held, out: output,
                               stamp: stamp ?? TokenizerStamp(fingerprint: m.fingerprint, vocabSize: m.vocabSize, bosID: m.bosID, eosID: m.eosID),
                               resumed: resume, log: StandardError.line)
        if let f = r.stats.first, let l = r.stats.last {
            print(String(format: "iterations %d  combined reward %.4f -> %.4f  KL(k1) %.4f -> %.4f%@", l.iteration, f.rewardCombined.mean, l.rewardCombined.mean,
                         f.klK1, l.klK1, r.eval.isEmpty ? "" : String(format: "  held-out %.4f -> %.4f (best %.4f)", r.eval.first!.1, r.eval.last!.1, r.eval.map(\.1).max()!)))
        }
    }
}
