// The post-training stages on tiny models: a reward model learns a planted preference, resumes
// exactly; PPO starts at zero KL, is deterministic for a seed and raises a learnable reward;
// rejection sampling keeps the best per prompt and best-of-K is monotone in K.
import Foundation
import struct SpindleShards.TokenizerStamp
import Testing
import SpindleIO
@testable import SpindleTrainer
import SpindleTestSupport

/// Pairs whose chosen answer ends in token 3 and rejected in token 7 (before </s> = 2).
func plantedPairs(_ n: Int, seed: UInt64) -> [PreferenceTokens] {
    var r = SeededRandom(seed: seed)
    return (0..<n).map { i in
        let prompt: [Int32] = [1] + (0..<3).map { _ in Int32(4 + r.next() % 6) }
        let body = (0..<2).map { _ in Int32(4 + r.next() % 6) }
        return PreferenceTokens(chosen: prompt + body + [3, 2], rejected: prompt + body + [7, 2], degree: i % 4)
    }
}

func tinyRMConfig(out: String, steps: Int) -> TrainConfig {
    var c = TrainConfig(model: tinyConfig())
    c.model.scoreHead = true
    c.seqLen = 16; c.batchSize = 8; c.gradAccum = 2; c.steps = steps; c.lr = 3e-3
    c.warmupSteps = RewardPreset.warmup(steps: steps); c.threads = 1; c.logEvery = 1000; c.evalEvery = 0
    c.checkpointEvery = 1; c.outputDir = out; c.seed = 7
    return c
}

@Suite(.serialized) struct PostTrainStageTests {
    @Test func presetWarmupIsThreePercentAtLeastFive() {
        #expect(RewardPreset.warmup(steps: 100) == 5)
        #expect(RewardPreset.warmup(steps: 1000) == 30)
        #expect(RewardPreset.warmup(steps: 3) == 3)
    }

    @Test func rewardModelLearnsAPlantedPreferenceAndResumesExactly() throws {
        let lm = try tinyModel()
        let tmp = TempDir("pt"); defer { tmp.cleanup() }
        let initDir = tmp.sub("rm-init"), a = tmp.sub("rm-a"), b = tmp.sub("rm-b")
        try Checkpoint.save(lm, to: initDir)
        let train = plantedPairs(48, seed: 1), held = plantedPairs(16, seed: 2)
        let r = try RewardTraining.run(config: tinyRMConfig(out: a, steps: 24), initFrom: initDir, pairs: train, eval: held,
                                       margins: .small, stamp: nil, resume: false, log: { _ in })
        #expect((r.evalAccuracy ?? 0) >= 0.9, "held-out accuracy \(r.evalAccuracy ?? .nan)")
        // Same run in two halves.
        _ = try RewardTraining.run(config: tinyRMConfig(out: b, steps: 24), initFrom: initDir, pairs: train, eval: [],
                                   margins: .small, stamp: nil, resume: false, stopAt: 12, log: { _ in })
        let c = tinyRMConfig(out: b, steps: 24)
        _ = try RewardTraining.run(config: c, initFrom: nil, pairs: train, eval: [], margins: .small, stamp: nil, resume: true, log: { _ in })
        let ma = try Checkpoint.load(a + "/checkpoint"), mb = try Checkpoint.load(b + "/checkpoint")
        #expect(ma.parameters.elementsEqual(mb.parameters), "resumed run differs")
        #expect(ma.config.scoreHead)
    }

    /// Policy, reference, a value model and a reward model that likes token 3 at the end.
    func ppoSetup(seed: UInt64, iterations: Int = 3, prompts: Int = 4, lr: Float = 1e-2, epochs: Int = 1, lengthDebias: Bool = false) throws -> PPOTrainer {
        let policy = try tinyModel(), reference = try tinyModel()
        let rmModel = try tinyRewardModel(seed: 2)
        // A reward that is learnable by the policy: score = +w on the embedding of token 3.
        let rm = RewardModel(model: rmModel, rows: 2, seqLen: 16)
        let value = try tinyRewardModel(seed: 3)
        var s = PPOSettings()
        s.iterations = iterations; s.promptsPerIteration = prompts; s.miniBatch = prompts / 2; s.maxNewTokens = 5; s.rows = 2
        s.seqLen = 16; s.threads = 1; s.seed = seed; s.lr = lr; s.valueLR = 1e-2; s.ppoEpochs = epochs; s.evalSamples = 8
        s.lengthDebias = lengthDebias; s.evalEvery = 1
        return try PPOTrainer(settings: s, policy: policy, reference: reference, value: value,
                              rewards: RewardPair(helpfulness: rm, safety: nil))
    }

    static let prompts = (0..<6).map { SamplingPrompt(id: "p\($0)", tokens: [1, Int32(4 + $0), 5], isSafety: $0 % 3 == 0) }

    @Test func ppoIterationsAreDeterministicAndStartAtZeroKL() throws {
        let a = try ppoSetup(seed: 11), b = try ppoSetup(seed: 11)
        let sa = try (0..<2).map { _ in try a.iterate(train: Self.prompts) }
        let sb = try (0..<2).map { _ in try b.iterate(train: Self.prompts) }
        #expect(abs(sa[0].klK1) < 1e-5 && abs(sa[0].klK3) < 1e-6, "policy == reference at the first rollout")
        #expect(sa.map { $0.json.replacingOccurrences(of: #""seconds": [0-9.]+"#, with: "", options: .regularExpression) } == sb.map { $0.json.replacingOccurrences(of: #""seconds": [0-9.]+"#, with: "", options: .regularExpression) })
        #expect(a.policy.parameters.elementsEqual(b.policy.parameters) && a.value.parameters.elementsEqual(b.value.parameters))
        #expect(sa.allSatisfy { $0.policyLoss.isFinite && $0.valueLoss.isFinite && $0.entropy > 0 && $0.lengthMean >= 1 })
        #expect(sa[1].klK3 >= 0)
        let c = try ppoSetup(seed: 12)
        #expect(try c.iterate(train: Self.prompts).rewardCombined.mean != sa[0].rewardCombined.mean, "another seed samples other responses")
    }

    /// With --length-debias the held-out signal (and so best/) is the length-controlled reward: at the
    /// start the policy is the reference, whose own line leaves its mean as it is; without it, no such field.
    @Test func ppoRunChoosesTheBestByTheLengthControlledRewardWithLengthDebias() throws {
        let tmp = TempDir("ppo-lc"); defer { tmp.cleanup() }
        for debias in [false, true] {
            let t = try ppoSetup(seed: 21, iterations: 2, lengthDebias: debias)
            let out = tmp.sub("run-\(debias)")
            let r = try PPORun.run(trainer: t, train: Self.prompts, heldOut: Array(Self.prompts.prefix(3)), out: out, stamp: nil,
                                   resumed: false, log: { _ in })
            #expect(r.eval.count == 3)
            let lines = try String(contentsOfFile: out + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
                .filter { $0.contains("heldout_reward") }.map { try JSONValue.parse(String($0)) }
            #expect(lines.count == 3)
            let controlled = lines.compactMap { $0["heldout_reward_length_controlled"]?.doubleValue }
            #expect(controlled.count == (debias ? 3 : 0))
            let raw = lines.compactMap { $0["heldout_reward"]?.doubleValue }
            if debias {
                #expect(abs(controlled[0] - raw[0]) < 1e-4, "policy == reference at iteration 0")
                #expect(zip(r.eval.map(\.1), controlled).allSatisfy { abs($0 - $1) < 1e-4 })
            } else {
                #expect(zip(r.eval.map(\.1), raw).allSatisfy { abs($0 - $1) < 1e-4 })
            }
            #expect(FileManager.default.fileExists(atPath: out + "/best/model.safetensors"))
        }
    }

    /// A run killed after iteration 2 and resumed ends as the uninterrupted run: same metrics, same
    /// held-out curve, and the same `best/` — the resumed run knows the best reward before the kill.
    @Test func ppoRunKilledAndResumedKeepsTheSameBestPolicy() throws {
        let tmp = TempDir("ppo-resume"); defer { tmp.cleanup() }
        let held = Array(Self.prompts.prefix(3))
        let a = tmp.sub("a"), b = tmp.sub("b")
        let whole = try PPORun.run(trainer: try ppoSetup(seed: 23, iterations: 5, lr: 1.0), train: Self.prompts, heldOut: held,
                                   out: a, stamp: nil, resumed: false, log: { _ in })
        _ = try PPORun.run(trainer: try ppoSetup(seed: 23, iterations: 5, lr: 1.0), train: Self.prompts, heldOut: held,
                           out: b, stamp: nil, resumed: false, stopAt: 2, log: { _ in })
        // What `train ppo --resume` does: policy, value and both optimisers from the checkpoint.
        let t = try ppoSetup(seed: 23, iterations: 5, lr: 1.0)
        let ckpt = b + "/checkpoint"
        let policy = try Checkpoint.load(ckpt + "/policy"), value = try Checkpoint.load(ckpt + "/value")
        t.policy.params.p.update(from: policy.params.p, count: policy.layout.totalCount)
        t.value.params.p.update(from: value.params.p, count: value.layout.totalCount)
        try t.restoreTrainingState(from: ckpt)
        let resumed = try PPORun.run(trainer: t, train: Self.prompts, heldOut: held, out: b, stamp: nil, resumed: true, log: { _ in })
        #expect(resumed.eval.map(\.0) == whole.eval.map(\.0) && resumed.eval.map(\.1) == whole.eval.map(\.1))
        // The case under test: the best policy comes before the kill, so a resumed run that forgot it
        // would overwrite best/ at its first evaluation.
        let bestAt = whole.eval.max { $0.1 < $1.1 }!.0
        #expect(bestAt <= 2, "best at iteration \(bestAt): \(whole.eval)")
        let bytes = { (d: String) in FileManager.default.contents(atPath: d + "/best/model.safetensors") }
        #expect(bytes(a) != nil && bytes(a) == bytes(b), "best/ differs after a resume")
        let strip = { (d: String) in try String(contentsOfFile: d + "/metrics.jsonl", encoding: .utf8)
            .replacingOccurrences(of: #""seconds": [0-9.]+"#, with: "", options: .regularExpression) }
        #expect(try strip(a) == strip(b))
    }

    @Test(arguments: [5, 6, 7] as [UInt64])
    func ppoRaisesTheRewardModelsScore(seed: UInt64) throws {
        // The reward is a fixed random tiny reward model; the held-out measure samples every prompt
        // 8 times at one fixed seed before and after training (common random numbers).
        let t = try ppoSetup(seed: seed, iterations: 15, prompts: 8, lr: 3e-3, epochs: 2)
        let before = t.evaluate(Self.prompts)
        for _ in 0..<15 { _ = try t.iterate(train: Self.prompts) }
        let after = t.evaluate(Self.prompts)
        #expect(after > before, "mean reward \(before) -> \(after)")
    }

    @Test func rejectionKeepsBestAcrossIterationsAndCurveIsMonotone() {
        let s1: [[(response: [Int32], reward: Double)]] = [[([4], 0.1), ([5], 0.9), ([6], 0.5)], [([7], -1), ([8], -2), ([9], -0.5)]]
        let s2: [[(response: [Int32], reward: Double)]] = [[([4, 4], 0.3), ([5, 5], 0.2), ([6, 6], 0.4)], [([7, 7], 1.5), ([8, 8], 0), ([9, 9], 0)]]
        var kept: [Int: KeptSample] = [:]
        RejectionSampling.merge(kept: &kept, samples: s1, iteration: 1)
        #expect(kept[0]?.response == [5] && kept[1]?.response == [9])
        RejectionSampling.merge(kept: &kept, samples: s2, iteration: 2)
        #expect(kept[0]?.response == [5] && kept[0]?.iteration == 1, "an earlier better sample stays")
        #expect(kept[1]?.response == [7, 7] && kept[1]?.iteration == 2)
        let curve = RejectionSampling.maxRewardCurve(s1)
        #expect(curve.map(\.k) == [1, 2, 3])
        #expect(abs(curve[0].meanMax - (0.1 - 1) / 2) < 1e-12 && abs(curve[1].meanMax - (0.9 - 1) / 2) < 1e-12 && abs(curve[2].meanMax - (0.9 - 0.5) / 2) < 1e-12)
        let rows = RejectionSampling.sftRows(kept: Array(kept.values), prompts: [SamplingPrompt(id: "a", tokens: [1, 4], isSafety: false), SamplingPrompt(id: "b", tokens: [1, 5], isSafety: true)], seqLen: 6)
        #expect(rows[0].tokens == [1, 4, 5, 0, 0, 0] && rows[0].lossMask! == [0, 0, 1, 0, 0, 0] && rows[0].segmentIds == [1, 1, 1, 0, 0, 0])
        // Reward = length: after the trend is removed every sample ties, and the first of each prompt is kept.
        let byLength: [[(response: [Int32], reward: Double)]] = [[([4], 1), ([4, 4, 4], 3)], [([5, 5], 2), ([5], 1)]]
        let flat = RejectionSampling.removingLengthTrend(byLength)
        #expect(flat.flatMap { $0.map(\.reward) }.allSatisfy { abs($0 - 1.75) < 1e-12 } && flat[0][1].response == [4, 4, 4])
        var keptFlat: [Int: KeptSample] = [:]
        RejectionSampling.merge(kept: &keptFlat, samples: flat, iteration: 1)
        #expect(keptFlat[0]?.response == [4] && keptFlat[1]?.response == [5, 5])
        let svg = RejectionReport.svg(curves: [(0.7, curve), (1.1, curve)])
        #expect(svg.contains(">K=1<") && svg.contains(">K=2<") && svg.contains(">K=3<") && svg.contains("T=1.10") && !svg.contains("step"))
    }
}

@Suite struct PostTrainRefusalTests {
    @Test func mismatchedRewardModelsAreRefused() throws {
        var other = tinyConfig()
        other.vocabSize = 13
        let a = (dir: "policy", config: tinyConfig(), stamp: TokenizerStampFixture.a)
        #expect(throws: TrainerError.self) { try PostTrainData.checkCompatible(a, ("rm", other, nil), sameWidth: false) }
        var wide = tinyConfig()
        wide.dim = 32
        #expect(throws: TrainerError.self) { try PostTrainData.checkCompatible(a, ("rm", wide, nil), sameWidth: true) }
        #expect(throws: Never.self) { try PostTrainData.checkCompatible(a, ("rm", wide, nil), sameWidth: false) }
        #expect(throws: TrainerError.self) { try PostTrainData.checkCompatible(a, ("rm", tinyConfig(), TokenizerStampFixture.b), sameWidth: false) }
    }

    @Test func stampRoundTrips() throws {
        let tmp = TempDir("stamp"); defer { tmp.cleanup() }
        let d = tmp.path
        #expect(try PostTrainData.readStamp(d) == nil)
        try PostTrainData.writeStamp(TokenizerStampFixture.a!, to: d)
        #expect(try PostTrainData.readStamp(d) == TokenizerStampFixture.a)
    }
}

enum TokenizerStampFixture {
    static let a: TokenizerStamp? = TokenizerStamp(fingerprint: "aaaa", vocabSize: 11, bosID: 1, eosID: 2)
    static let b: TokenizerStamp? = TokenizerStamp(fingerprint: "bbbb", vocabSize: 11, bosID: 1, eosID: 2)
}
