// LoRA on a reward model: finite differences of the adapters and the score head through the ranking
// loss (with and without dropout), a frozen trunk, the SEQ_CLS adapter files, a run that learns a planted
// preference and resumes bit for bit, and every reader of an RM checkpoint taking the adapter directory.
import Foundation
import Testing
import SpindleIO
@testable import SpindleTrainer
import SpindleTestSupport

/// Reward adapters with random A, B and score head on `rm`'s shape.
func randomRewardAdapters(_ rm: LlamaModel, targets: [LoRATarget], dropout: Float = 0, seed: UInt64 = 4) throws -> LoRAAdapters {
    let lora = try LoRAAdapters(config: rm.config, settings: LoRASettings(rank: 3, alpha: 5, dropout: dropout, targets: targets),
                                seed: seed, scorePooling: rm.config.scorePooling)
    var r = SeededRandom(seed: seed &+ 1)
    for i in 0..<lora.count { lora.params.p[i] = (r.nextFloat() - 0.5) * 0.8 }
    return lora
}

@Suite struct LoRARewardTests {
    static let pairs = [
        PreferenceTokens(chosen: [1, 5, 9, 3, 2], rejected: [1, 5, 9, 7, 7, 2], degree: 3),
        PreferenceTokens(chosen: [1, 4, 10, 2], rejected: [1, 4, 6, 8, 2], degree: 1),
    ]

    @Test(arguments: [(Float(0), ScorePooling.last), (0.25, .last), (0.25, .meanResponse)])
    func rankingLossGradientOfAdaptersAndScoreHead(dropout: Float, pooling: ScorePooling) throws {
        let m = try LoRACheckpoint.rewardTrunk(try tinyRewardModel(), pooling: pooling)
        let lora = try randomRewardAdapters(m, targets: LoRATarget.allCases, dropout: dropout)
        m.lora = lora
        lora.training = true; lora.dropoutSeed = 31
        let rm = RewardModel(model: m, rows: 2, seqLen: 12)
        m.zeroGradients(); lora.zeroGradients()
        _ = rm.accumulate(Self.pairs, margins: .small, lossScale: 1)
        let loss: () -> Double = {
            let s = rm.score(Self.pairs.flatMap { [$0.chosen, $0.rejected] }, responseStarts: Self.pairs.flatMap { [$0.responseStart, $0.responseStart] })
            return Self.pairs.indices.reduce(0.0) {
                $0 + rankingLoss(chosen: Double(s[2 * $1]), rejected: Double(s[2 * $1 + 1]), margin: MarginTable.small.margin(degree: Self.pairs[$1].degree)).loss
            }
        }
        let head = Array(lora.scoreOffset..<lora.count)
        let eh = gradientRelativeError(values: lora.params.p, analytic: lora.grads.p, indices: head, h: 1e-2, loss: loss)
        #expect(eh < 5e-3, "score head: relative error \(eh)")
        var r = SeededRandom(seed: 3)
        for s in lora.slots {
            for (off, count, name) in [(s.a, 3 * s.inDim, "A"), (s.b, s.outDim * 3, "B")] {
                let idx = (0..<6).map { _ in off + Int(r.next() % UInt64(count)) }
                let e = gradientRelativeError(values: lora.params.p, analytic: lora.grads.p, indices: idx, h: 1e-2, loss: loss)
                #expect(e < 5e-3, "layer \(s.layer) \(s.target.hfName) lora_\(name): relative error \(e)")
            }
        }
        // The trunk is frozen (no matrix gets a gradient) and the base's own score head is not read.
        for t in m.layout.tensors where t.shape.count == 2 {
            #expect(UnsafeBufferPointer(start: m.grads.p + t.offset, count: t.count).allSatisfy { $0 == 0 }, "\(t.name) got a gradient")
        }
        let before = loss()
        (m.params.p + m.layout.score).update(repeating: 9, count: m.config.dim)
        #expect(loss() == before)
    }

    @Test func mergeCopiesTheScoreHeadAndFilesCarryIt() throws {
        let tmp = TempDir("lora-rm"); defer { tmp.cleanup() }
        let m = try LoRACheckpoint.rewardTrunk(try tinyRewardModel(), pooling: .meanResponse)
        m.lora = try randomRewardAdapters(m, targets: [.q, .v, .down])
        m.lora!.baseModel = "/base"
        let seqs: [[Int32]] = [[1, 5, 9, 3, 2], [1, 4, 6, 8, 2, 7]]
        let adapted = RewardModel(model: m, rows: 2, seqLen: 8).score(seqs, responseStarts: [2, 3])
        try LoRACheckpoint.save(m.lora!, to: tmp.path + "/ad")
        let t = try Safetensors.read(tmp.path + "/ad/adapter_model.safetensors")
        #expect(t["base_model.model.score.weight"]?.shape == [1, m.config.dim])
        #expect(t.count == 2 * 3 * m.config.nLayers + 1)
        let cfg = try LoRAAdapterConfig.load(tmp.path + "/ad")
        #expect(cfg.scorePooling == .meanResponse)
        let text = try String(contentsOfFile: tmp.path + "/ad/adapter_config.json", encoding: .utf8)
        for want in ["\"task_type\": \"SEQ_CLS\"", "\"score\"", "\"spindle_score_pooling\": \"mean-response\""] {
            #expect(text.contains(want), "adapter_config.json lacks \(want)")
        }
        let back = try LoRACheckpoint.loadAdapters(tmp.path + "/ad", config: m.config)
        #expect(Array(back.parameters) == Array(m.lora!.parameters))
        LoRACheckpoint.merge(m)
        let merged = RewardModel(model: m, rows: 2, seqLen: 8).score(seqs, responseStarts: [2, 3])
        let worst = zip(adapted, merged).map { abs($0 - $1) }.max()!
        #expect(worst < 1e-5, "merged vs adapted rewards: \(worst)")
        // A score tensor in a CAUSAL_LM adapter, or other trained modules, are refused.
        try text.replacingOccurrences(of: "\"score\"", with: "\"lm_head\"")
            .write(toFile: tmp.path + "/ad/adapter_config.json", atomically: true, encoding: .utf8)
        #expect(throws: TrainerError.self) { try LoRAAdapterConfig.load(tmp.path + "/ad") }
        try text.replacingOccurrences(of: "\"SEQ_CLS\"", with: "\"CAUSAL_LM\"")
            .write(toFile: tmp.path + "/ad/adapter_config.json", atomically: true, encoding: .utf8)
        #expect(throws: TrainerError.self) { try LoRAAdapterConfig.load(tmp.path + "/ad") }
    }
}

@Suite(.serialized) struct LoRARewardRunTests {
    let lora = LoRASettings(rank: 4, alpha: 16, dropout: 0.1, targets: LoRATarget.allCases)

    func config(_ out: String) -> TrainConfig {
        var c = tinyRMConfig(out: out, steps: 24)
        c.lr = 3e-2
        c.checkpointEvery = 0
        return c
    }

    /// `train rm --lora-rank` on a language model: the adapters and the new score head learn the planted
    /// preference, the checkpoint is a SEQ_CLS adapter naming the base, and a run stopped at step 9 and
    /// resumed ends with the same adapter, head and AdamW moments, bit for bit.
    @Test func rewardAdaptersLearnResumeExactlyAndLoadEverywhere() throws {
        let tmp = TempDir("lora-rm-run"); defer { tmp.cleanup() }
        let initDir = tmp.sub("lm"), a = tmp.sub("a"), b = tmp.sub("b")
        try Checkpoint.save(try tinyModel(), to: initDir)
        let train = plantedPairs(48, seed: 1), held = plantedPairs(16, seed: 2)
        let r = try RewardTraining.run(config: config(a), initFrom: initDir, pairs: train, eval: held, margins: .small,
                                       stamp: nil, resume: false, lora: lora, log: { _ in })
        #expect((r.evalAccuracy ?? 0) >= 0.9, "held-out accuracy \(r.evalAccuracy ?? .nan)")
        let ckpt = a + "/checkpoint"
        #expect(LoRAAdapterConfig.isAdapter(ckpt) && !FileManager.default.fileExists(atPath: ckpt + "/model.safetensors"))
        #expect(try LoRAAdapterConfig.load(ckpt).scorePooling == .last)
        _ = try RewardTraining.run(config: config(b), initFrom: initDir, pairs: train, eval: [], margins: .small,
                                   stamp: nil, resume: false, stopAt: 9, lora: lora, log: { _ in })
        _ = try RewardTraining.run(config: config(b), initFrom: nil, pairs: train, eval: [], margins: .small,
                                   stamp: nil, resume: true, log: { _ in })
        let la = try LoRACheckpoint.load(ckpt).lora!, lb = try LoRACheckpoint.load(b + "/checkpoint").lora!
        #expect(la.parameters.elementsEqual(lb.parameters), "resumed RM adapter differs")
        let oa = try Safetensors.read(ckpt + "/optimizer.safetensors"), ob = try Safetensors.read(b + "/checkpoint/optimizer.safetensors")
        #expect(oa.count == 2 * la.slots.count * 2 + 2 && oa.keys.sorted() == ob.keys.sorted())
        #expect(oa.allSatisfy { ob[$0.key]?.values == $0.value.values }, "resumed AdamW moments differ")

        // Every reader of a reward-model checkpoint takes the adapter: merged on load.
        let applied = try LoRACheckpoint.load(ckpt)
        let merged = try Checkpoint.load(ckpt)
        let shape = try Checkpoint.loadConfig(ckpt)
        #expect(merged.lora == nil && merged.layout.score >= 0 && shape == merged.config)
        let seqs = held.flatMap { [$0.chosen, $0.rejected] }
        let want = RewardModel(model: applied, rows: 2, seqLen: 16).score(seqs)
        let pair = try RewardPair.load(helpfulness: ckpt, safety: nil, policy: (initDir, try Checkpoint.loadConfig(initDir)), rows: 2, seqLen: 16)
        let got = pair.helpfulness.score(seqs)
        #expect(zip(want, got).map { abs($0 - $1) }.max()! < 1e-5)
        // lora merge writes a full LlamaForSequenceClassification checkpoint with the same rewards.
        let out = tmp.sub("merged")
        _ = try LoRACheckpoint.mergeCheckpoint(base: initDir, adapter: ckpt, output: out, overwrite: false)
        let full = try Checkpoint.load(out)
        let mergedShape = try Checkpoint.loadConfig(out)
        #expect(mergedShape.scoreHead)
        let fromMerged = RewardModel(model: full, rows: 2, seqLen: 16).score(seqs)
        #expect(zip(want, fromMerged).map { abs($0 - $1) }.max()! < 1e-5)
        // The base on disk is untouched.
        let onDisk = try Checkpoint.load(initDir), original = try tinyModel()
        #expect(onDisk.parameters.elementsEqual(original.parameters))
    }

    @Test func loraWithoutATrunkIsRefused() throws {
        let tmp = TempDir("lora-rm-refuse"); defer { tmp.cleanup() }
        #expect(throws: TrainerError.self) {
            _ = try RewardTraining.run(config: config(tmp.sub("x")), initFrom: nil, pairs: plantedPairs(4, seed: 1), eval: [], margins: .small,
                                       stamp: nil, resume: false, lora: lora, log: { _ in })
        }
    }
}
