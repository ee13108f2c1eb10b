import ArgumentParser
import Foundation
import SpindleIO
import SpindleShards
import SpindleTrainer

/// `spindle train rejection`: Llama 2 rejection-sampling fine-tuning.
struct TrainRejection: Configurable {
    static let configuration = CommandConfiguration(
        commandName: "rejection",
        abstract: "Rejection-sampling fine-tuning: best of K samples per prompt by the reward models, then SFT on them.",
        discussion: """
        Each iteration samples K answers per prompt from the current policy at --temperature, scores them
        with the reward models (Llama 2's gate: the safety score on safety prompts or when σ(R_s) < 0.15,
        else the helpfulness score), keeps the best; the kept set holds each prompt's best answer over
        all iterations so far; then an SFT pass (--config, loss on the answers) on the kept set.
        Prompts come from `spindle pack preference --prompts-only` shards (their aspect marks safety prompts).

        --temperatures 0.7,0.9,1.1,1.3 instead measures: for each temperature, the mean over prompts of
        the maximum reward among K samples, for K = 1, 2, 4, … (Llama 2 Fig. 7/8), printed as a table
        and written to OUTPUT/max-reward-vs-k.svg; no training.

        examples:
          spindle train rejection --init runs/sft/checkpoint --prompts shards/prompts --helpfulness-rm runs/rm-h/checkpoint \\
              --safety-rm runs/rm-s/checkpoint -k 8 --iterations 2 -o runs/rejection
          spindle train rejection --init runs/sft/checkpoint --prompts shards/prompts --helpfulness-rm … \\
              -k 16 --temperatures 0.7,0.9,1.1,1.3 -o runs/rejection-curve
        """)

    @Option(name: .customLong("init"), help: "Policy checkpoint to start from (the SFT model).") var initFrom: String?
    @Option(help: "Prompts-only shard directory.") var prompts: String
    @Option(help: "Helpfulness reward-model checkpoint.") var helpfulnessRm: String
    @Option(help: "Safety reward-model checkpoint (optional).") var safetyRm: String?
    @Option(name: [.short, .long], help: "Output directory.") var output: String
    @Option(name: .short, help: "Samples per prompt (K).") var k = 4
    @Option(help: "Sampling temperature.") var temperature: Float = 1.0
    @Option(help: "Comma-separated temperatures: measure max reward against K instead of training.") var temperatures: String?
    @Option(help: "Iterations (sample, keep, fine-tune).") var iterations = 2
    @Option(help: "Use at most this many prompts.") var maxPrompts: Int?
    @Option(help: "New tokens per sample at most.") var maxNewTokens = 48
    @Option(name: .customLong("config"), help: "Config for the SFT pass (JSON or preset).") var preset = "sft-nano"
    @Option(help: "Epochs of the SFT pass over the kept set.") var sftEpochs: Double = 1
    @Option(help: "Seed.") var seed: UInt64 = 1234
    @Option(help: "Threads.") var threads = 2
    @Flag(help: "Continue from OUTPUT (policy checkpoint and kept set of the last finished iteration).") var resume = false
    @OptionGroup var config: ConfigOptions

    func run() throws {
        BLASBackend.prepareProcess()   // before any input is read: it may re-exec
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        let statePath = output + "/rejection_state.json"
        let ckpt = output + "/checkpoint"
        let start = resume ? ckpt : initFrom
        guard let start else { throw TrainerError.config(field: "init", message: "pass --init DIR (the SFT policy) or --resume") }
        if resume && !FileManager.default.fileExists(atPath: statePath) {
            throw TrainerError.io(file: statePath, message: "--resume: no finished iteration here")
        }
        BLASBackend.shared.threads = threads
        let policy = try Checkpoint.load(start)
        policy.parallel = Parallel(threads: threads)
        guard policy.layout.head >= 0 else { throw TrainerError.config(field: "init", message: "\(start) has no language-model head") }
        let stamp = try PostTrainData.readStamp(start)
        let ds = try PostTrainData.open(prompts, kind: .prompts, model: policy.config, stamp: stamp)
        var ps = try PostTrainData.prompts(ds)
        if let maxPrompts { ps = Array(ps.prefix(maxPrompts)) }
        let rewards = try RewardPair.load(helpfulness: helpfulnessRm, safety: safetyRm, policy: (start, policy.config),
                                          rows: 4, seqLen: policy.config.maxSeqLen)
        rewards.use(policy.parallel)
        let m = ds.metadata.tokenizer
        let shardStamp = TokenizerStamp(fingerprint: m.fingerprint, vocabSize: m.vocabSize, bosID: m.bosID, eosID: m.eosID)

        if let temperatures {
            let temps = try temperatures.split(separator: ",").map { s -> Float in
                guard let v = Float(s.trimmingCharacters(in: .whitespaces)), v > 0 else { throw ValidationError("--temperatures: \"\(s)\" is not a positive number") }
                return v
            }
            var curves: [(Float, [(k: Int, meanMax: Double)])] = []
            for (ti, temp) in temps.enumerated() {
                StandardError.line("rejection: sampling \(k) per prompt at temperature \(temp)")
                let s = RejectionSampling.sample(policy: policy, prompts: ps, k: k, temperature: temp, topP: 1, maxNewTokens: maxNewTokens,
                                                 seed: seed, round: 1000 + ti, rewards: rewards, log: StandardError.line)
                curves.append((temp, RejectionSampling.maxRewardCurve(s)))
            }
            let ks = curves[0].1.map(\.k)
            print("K" + temps.map { String(format: "\tT=%.2f", $0) }.joined())
            for (i, kk) in ks.enumerated() {
                print("\(kk)" + curves.map { String(format: "\t%.4f", $0.1[i].meanMax) }.joined())
            }
            let svg = RejectionReport.svg(curves: curves)
            try svg.write(toFile: output + "/max-reward-vs-k.svg", atomically: true, encoding: .utf8)
            StandardError.line("rejection: wrote \(output)/max-reward-vs-k.svg")
            return
        }

        var kept: [Int: KeptSample] = [:]
        var done = 0
        if resume { (done, kept) = try RejectionReport.loadState(statePath) }
        var sftCfg = try TrainConfig.load(Presets.resolve(preset))
        sftCfg.model = policy.config
        sftCfg.seqLen = min(policy.config.maxSeqLen, (ps.map(\.tokens.count).max() ?? 0) + maxNewTokens + 1)
        sftCfg.threads = threads
        for it in done..<iterations {
            StandardError.line("rejection: iteration \(it + 1)/\(iterations): \(k) samples per prompt at temperature \(temperature)")
            let s = RejectionSampling.sample(policy: policy, prompts: ps, k: k, temperature: temperature, topP: 1, maxNewTokens: maxNewTokens,
                                             seed: seed, round: it, rewards: rewards, log: StandardError.line)
            let best = s.map { $0.map(\.reward).max()! }, first = s.map { $0[0].reward }
            RejectionSampling.merge(kept: &kept, samples: s, iteration: it + 1)
            let keptMean = kept.values.map(\.reward).reduce(0, +) / Double(max(1, kept.count))
            StandardError.line(String(format: "rejection: iteration %d  mean reward of one sample %.4f, of the best of %d %.4f; kept set mean %.4f (%d prompts)",
                              it + 1, first.reduce(0, +) / Double(first.count), k, best.reduce(0, +) / Double(best.count), keptMean, kept.count))
            let rows = RejectionSampling.sftRows(kept: Array(kept.values), prompts: ps, seqLen: sftCfg.seqLen)
            guard !rows.isEmpty else { throw TrainerError.data(file: prompts, line: nil, message: "no kept sample fits \(sftCfg.seqLen) tokens") }
            var c = sftCfg
            c.steps = SFT.steps(epochs: sftEpochs, rows: rows.count, config: c)
            c.warmupSteps = min(c.warmupSteps, max(0, c.steps - 1))
            c.seed = mixSeedPublic(seed, it)
            let trainer = try Trainer(config: c, source: InMemoryBatchSource(rows: rows), model: policy)
            var last = 0.0
            for _ in 0..<c.steps { last = try trainer.step().loss }
            StandardError.line(String(format: "rejection: SFT pass %d steps on %d kept samples, last loss %.4f", c.steps, rows.count, last))
            try Checkpoint.save(policy, to: ckpt)
            try PostTrainData.writeStamp(stamp ?? shardStamp, to: ckpt)
            try RejectionReport.saveState(statePath, iteration: it + 1, kept: kept)
            print(String(format: "iteration %d  best-of-%d %.4f  single %.4f  kept %.4f", it + 1, k,
                         best.reduce(0, +) / Double(best.count), first.reduce(0, +) / Double(first.count), keptMean))
        }
    }
}

func mixSeedPublic(_ seed: UInt64, _ i: Int) -> UInt64 { seed &+ UInt64(i) &* 0x9E37_79B9_7F4A_7C15 }
