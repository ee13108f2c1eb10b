// RejectionRun.swift: a whole `spindle train rejection` run. Loads the policy, its prompts and the
// reward models; then either measures the mean max reward against K per temperature (Llama 2 Fig. 7/8:
// a table and OUTPUT/max-reward-vs-k.svg, no training) or runs the iterations: sample K per prompt,
// merge the best into the kept set (RejectionSampling), an SFT pass on it, and a checkpoint plus
// OUTPUT/rejection_state.json after each, so `resume` continues from the last finished iteration.
import Foundation
import SpindleIO
import SpindleShards

/// Everything a rejection-sampling run needs.
public struct RejectionSettings: Sendable {
    /// The policy to start from (the SFT model); not read when resuming.
    public var initFrom: String?
    /// Prompts-only shard directory.
    public var prompts: String
    public var helpfulnessRM: String
    public var safetyRM: String?
    /// Output directory: checkpoint/, rejection_state.json (or max-reward-vs-k.svg).
    public var output: String
    /// Samples per prompt (K).
    public var samplesPerPrompt = 4
    public var temperature: Float = 1.0
    public var topP: Float = 1.0
    /// Measure max reward against K at each of these temperatures instead of training.
    public var temperatures: [Float]? = nil
    public var iterations = 2
    public var maxPrompts: Int? = nil
    public var maxNewTokens = 48
    /// Choose the best of K by the reward with the iteration's linear reward-on-length trend removed.
    public var lengthDebias = false
    /// The SFT pass's configuration (a preset); model shape, seq_len, steps, seed and threads are set
    /// per iteration from the policy, the prompts and this run.
    public var sft: TrainConfig
    /// Epochs of each SFT pass over the kept set.
    public var sftEpochs = 1.0
    public var seed: UInt64 = 1234
    public var threads = 2
    /// Continue from `output` (policy checkpoint and kept set of the last finished iteration).
    public var resume = false
    /// Replace a run already in `output` (without it, a directory holding one is refused unless `resume`).
    public var overwrite = false

    public init(prompts: String, helpfulnessRM: String, output: String, sft: TrainConfig) {
        self.prompts = prompts
        self.helpfulnessRM = helpfulnessRM
        self.output = output
        self.sft = sft
    }

    /// The settings as `--print-config` shows them.
    public var json: JSONValue {
        .object([
            ("init", initFrom.map { .string($0) } ?? .null), ("prompts", .string(prompts)),
            ("helpfulness_rm", .string(helpfulnessRM)), ("safety_rm", safetyRM.map { .string($0) } ?? .null),
            ("output", .string(output)), ("samples_per_prompt", .int(samplesPerPrompt)), ("temperature", .float(temperature)),
            ("top_p", .float(topP)), ("temperatures", temperatures.map { .array($0.map { .float($0) }) } ?? .null),
            ("iterations", .int(iterations)), ("max_prompts", maxPrompts.map { .int($0) } ?? .null),
            ("max_new_tokens", .int(maxNewTokens)), ("length_debias", .bool(lengthDebias)), ("sft_epochs", .double(sftEpochs)), ("seed", .int(seed)),
            ("threads", .int(threads)), ("resume", .bool(resume)), ("sft", sft.presetJSON),
        ])
    }
}

public enum RejectionRun {
    /// What a run works on once loaded.
    struct Setup {
        let policy: LlamaModel
        let prompts: [SamplingPrompt]
        let rewards: RewardPair
        /// The stamp written with each checkpoint: the policy's, else the prompt shards'.
        let stamp: TokenizerStamp
    }

    /// Runs `settings`: progress goes to `log`, result lines (the table, one line per iteration) to `out`.
    public static func run(_ settings: RejectionSettings, log: (String) -> Void, out: (String) -> Void) throws {
        let s = settings
        let lock = try DirectoryLock(s.output)   // one writer per run directory
        defer { withExtendedLifetime(lock) {} }
        try RunDirectory.checkFresh(s.output, resume: s.resume, overwrite: s.overwrite)
        try FileManager.default.createDirectory(atPath: s.output, withIntermediateDirectories: true)
        // The kept set lives in the checkpoint, so policy and kept set always belong to the same iteration.
        let statePath = s.output + "/checkpoint/rejection_state.json"
        guard let start = s.resume ? s.output + "/checkpoint" : s.initFrom else {
            throw TrainerError.config(field: "init", message: "pass --init DIR (the SFT policy) or --resume")
        }
        if s.resume && !FileManager.default.fileExists(atPath: statePath) {
            throw TrainerError.io(file: statePath, message: "--resume: no finished iteration here")
        }
        let setup = try prepare(s, start: start)
        if let temperatures = s.temperatures {
            try measure(s, setup, temperatures: temperatures, log: log, out: out)
        } else {
            try train(s, setup, statePath: statePath, log: log, out: out)
        }
    }

    /// Loads the policy from `start`, the prompts and the reward models.
    static func prepare(_ s: RejectionSettings, start: String) throws -> Setup {
        BLASBackend.shared.threads = s.threads
        let policy = try Checkpoint.load(start)
        policy.parallel = Parallel(threads: s.threads)
        guard policy.layout.head >= 0 else { throw TrainerError.config(field: "init", message: "\(start) has no language-model head") }
        let stamp = try PostTrainData.readStamp(start)
        let ds = try PostTrainData.open(s.prompts, kind: .prompts, model: policy.config, stamp: stamp)
        var prompts = try PostTrainData.prompts(ds)
        if let maxPrompts = s.maxPrompts { prompts = Array(prompts.prefix(maxPrompts)) }
        let rewards = try RewardPair.load(helpfulness: s.helpfulnessRM, safety: s.safetyRM, policy: (start, policy.config),
                                          rows: 4, seqLen: policy.config.maxSeqLen)
        rewards.use(policy.parallel)
        let m = ds.metadata.tokenizer
        let shardStamp = TokenizerStamp(fingerprint: m.fingerprint, vocabSize: m.vocabSize, bosID: m.bosID, eosID: m.eosID)
        return Setup(policy: policy, prompts: prompts, rewards: rewards, stamp: stamp ?? shardStamp)
    }

    /// Mean max reward against K at each temperature: a table on `out`, OUTPUT/max-reward-vs-k.svg.
    static func measure(_ s: RejectionSettings, _ setup: Setup, temperatures: [Float],
                        log: (String) -> Void, out: (String) -> Void) throws {
        let k = s.samplesPerPrompt
        var curves: [(Float, [(k: Int, meanMax: Double)])] = []
        for (ti, temp) in temperatures.enumerated() {
            log("rejection: sampling \(k) per prompt at temperature \(temp)")
            let samples = RejectionSampling.sample(policy: setup.policy, prompts: setup.prompts, k: k, temperature: temp, topP: s.topP,
                                                   maxNewTokens: s.maxNewTokens, seed: s.seed, round: 1000 + ti, rewards: setup.rewards, log: log)
            curves.append((temp, RejectionSampling.maxRewardCurve(samples)))
        }
        let ks = curves[0].1.map(\.k)
        out("K" + temperatures.map { String(format: "\tT=%.2f", $0) }.joined())
        for (i, kk) in ks.enumerated() {
            out("\(kk)" + curves.map { String(format: "\t%.4f", $0.1[i].meanMax) }.joined())
        }
        let svg = RejectionReport.svg(curves: curves)
        try svg.write(toFile: s.output + "/max-reward-vs-k.svg", atomically: true, encoding: .utf8)
        log("rejection: wrote \(s.output)/max-reward-vs-k.svg")
    }

    /// The iterations: sample, merge into the kept set, an SFT pass, checkpoint and state.
    static func train(_ s: RejectionSettings, _ setup: Setup, statePath: String,
                      log: (String) -> Void, out: (String) -> Void) throws {
        let k = s.samplesPerPrompt, ps = setup.prompts, ckpt = s.output + "/checkpoint"
        var kept: [Int: KeptSample] = [:]
        var done = 0
        if s.resume { (done, kept) = try RejectionReport.loadState(statePath) }
        var sftCfg = s.sft
        sftCfg.model = setup.policy.config
        sftCfg.seqLen = min(setup.policy.config.maxSeqLen, (ps.map(\.tokens.count).max() ?? 0) + s.maxNewTokens + 1)
        sftCfg.threads = s.threads
        for it in done..<s.iterations {
            log("rejection: iteration \(it + 1)/\(s.iterations): \(k) samples per prompt at temperature \(s.temperature)")
            var samples = RejectionSampling.sample(policy: setup.policy, prompts: ps, k: k, temperature: s.temperature, topP: s.topP,
                                                   maxNewTokens: s.maxNewTokens, seed: s.seed, round: it, rewards: setup.rewards, log: log)
            if s.lengthDebias { samples = RejectionSampling.removingLengthTrend(samples) }
            let best = mean(samples.map { $0.map(\.reward).max()! }), first = mean(samples.map { $0[0].reward })
            RejectionSampling.merge(kept: &kept, samples: samples, iteration: it + 1)
            let keptMean = kept.values.map(\.reward).reduce(0, +) / Double(max(1, kept.count))
            log(String(format: "rejection: iteration %d  mean reward of one sample %.4f, of the best of %d %.4f; kept set mean %.4f (%d prompts)",
                       it + 1, first, k, best, keptMean, kept.count))
            let rows = RejectionSampling.sftRows(kept: Array(kept.values), prompts: ps, seqLen: sftCfg.seqLen)
            guard !rows.isEmpty else { throw TrainerError.data(file: s.prompts, line: nil, message: "no kept sample fits \(sftCfg.seqLen) tokens") }
            try sftPass(sftCfg, rows: rows, policy: setup.policy, epochs: s.sftEpochs, seed: sftSeed(s.seed, it), log: log)
            try Checkpoint.save(setup.policy, to: ckpt, stamp: setup.stamp,
                                extraFiles: ["rejection_state.json": RejectionReport.stateBytes(iteration: it + 1, kept: kept)])
            out(String(format: "iteration %d  best-of-%d %.4f  single %.4f  kept %.4f", it + 1, k, best, first, keptMean))
        }
    }

    /// One SFT pass over the kept set's rows, in place on `policy`.
    static func sftPass(_ config: TrainConfig, rows: [TrainingRow], policy: LlamaModel, epochs: Double, seed: UInt64,
                        log: (String) -> Void) throws {
        var c = config
        c.steps = SFT.steps(epochs: epochs, rows: rows.count, config: c)
        c.warmupSteps = min(c.warmupSteps, max(0, c.steps - 1))
        c.seed = seed
        let trainer = try Trainer(config: c, source: InMemoryBatchSource(rows: rows), model: policy)
        var last = 0.0
        for _ in 0..<c.steps { last = try trainer.step().loss }
        log(String(format: "rejection: SFT pass %d steps on %d kept samples, last loss %.4f", c.steps, rows.count, last))
    }

    /// The SFT pass's seed in iteration `i`.
    static func sftSeed(_ seed: UInt64, _ i: Int) -> UInt64 { seed &+ UInt64(i) &* 0x9E37_79B9_7F4A_7C15 }

    static func mean(_ x: [Double]) -> Double { x.reduce(0, +) / Double(x.count) }
}

extension TrainConfig {
    /// A post-training preset as `--print-config` shows it: its training, eval and output sections
    /// (the model shape comes from the checkpoint, the data from the shards).
    var presetJSON: JSONValue {
        .object((jsonValue.members ?? []).filter { $0.0 != "model" && $0.0 != "data" })
    }
}
