// RejectionSampling.swift: Llama 2 rejection-sampling fine-tuning (§3.2.3). Each iteration samples K
// answers per prompt from the current policy at temperature T, scores them with the reward models
// (the Llama 2 gate), keeps the best; the kept set holds the best answer per prompt over *all*
// iterations so far (the paper's fix for regressions); then an SFT pass on the kept set.
import Foundation

/// One kept sample.
public struct KeptSample: Sendable, Equatable {
    public var promptIndex: Int
    public var response: [Int32]   // answer tokens and </s> when the model stopped
    public var reward: Double
    public var iteration: Int
}

public enum RejectionSampling {
    /// K samples per prompt at `temperature` and their gated rewards: [prompt][k].
    public static func sample(policy: LlamaModel, prompts: [SamplingPrompt], k: Int, temperature: Float, topP: Float,
                              maxNewTokens: Int, seed: UInt64, round: Int, rewards: RewardPair,
                              log: (String) -> Void = { _ in }) -> [[(response: [Int32], reward: Double)]] {
        let eos = Int32(policy.config.eosId)
        // About 32 sequences decode together: several prompts' K samples, each prompt prefilled once.
        let perCall = max(1, 32 / k)
        let gen = Generator(model: policy, batch: k * min(perCall, max(1, prompts.count)),
                            maxLen: min(policy.config.maxSeqLen, (prompts.map(\.tokens.count).max() ?? 1) + maxNewTokens + 1))
        var o = SamplingOptions()
        o.temperature = temperature; o.topP = topP; o.maxNewTokens = maxNewTokens; o.stopToken = eos
        var out: [[(response: [Int32], reward: Double)]] = []
        var start = 0
        while start < prompts.count {
            let chunk = Array(prompts[start..<min(prompts.count, start + perCall)])
            let seeds = chunk.indices.map { mixSeed(seed, round, start + $0) }
            let samples = gen.generate(prompts: chunk.map(\.tokens), samplesPerPrompt: k, options: o, promptSeeds: seeds)
            for (p, g) in zip(chunk, samples) {
                let responses = g.map { $0.tokens + ($0.stopped ? [eos] : []) }
                let r = rewards.score(responses.map { p.tokens + $0 }, isSafety: [Bool](repeating: p.isSafety, count: k),
                                      responseStarts: [Int](repeating: p.tokens.count, count: k))
                out.append(zip(responses, r).map { ($0, $1.gated) })
                if out.count % 10 == 0 { log("  sampled \(out.count)/\(prompts.count) prompts") }
            }
            start += chunk.count
        }
        return out
    }

    /// The samples with one linear trend of reward on response length (fitted over all of them) removed
    /// (`removingLengthTrend` in PPOMath): the best of K is then not the shortest or longest by default.
    public static func removingLengthTrend(_ samples: [[(response: [Int32], reward: Double)]]) -> [[(response: [Int32], reward: Double)]] {
        let flat = samples.flatMap { $0 }
        var adjusted = SpindleTrainer.removingLengthTrend(flat.map(\.reward), lengths: flat.map(\.response.count))[...]
        return samples.map { row in row.map { s in (s.response, adjusted.popFirst()!) } }
    }

    /// Mean over prompts of the best reward among the first K samples, for K = 1, 2, 4, … ≤ kMax.
    public static func maxRewardCurve(_ samples: [[(response: [Int32], reward: Double)]]) -> [(k: Int, meanMax: Double)] {
        guard let kMax = samples.map(\.count).min(), kMax > 0 else { return [] }
        var ks: [Int] = []
        var k = 1
        while k <= kMax { ks.append(k); k *= 2 }
        if ks.last != kMax { ks.append(kMax) }
        return ks.map { k in
            (k, samples.map { $0.prefix(k).map(\.reward).max()! }.reduce(0, +) / Double(samples.count))
        }
    }

    /// Merges an iteration's best samples into the kept set (best per prompt over all iterations).
    public static func merge(kept: inout [Int: KeptSample], samples: [[(response: [Int32], reward: Double)]], iteration: Int) {
        for (pi, s) in samples.enumerated() {
            guard let best = s.indices.max(by: { s[$0].reward < s[$1].reward || (s[$0].reward == s[$1].reward && $0 > $1) }) else { continue }
            if let old = kept[pi], old.reward >= s[best].reward { continue }
            kept[pi] = KeptSample(promptIndex: pi, response: s[best].response, reward: s[best].reward, iteration: iteration)
        }
    }

    /// SFT rows from kept samples: prompt + response in its own row, loss on the response only.
    public static func sftRows(kept: [KeptSample], prompts: [SamplingPrompt], seqLen: Int) -> [TrainingRow] {
        kept.sorted { $0.promptIndex < $1.promptIndex }.compactMap { k in
            var toks = prompts[k.promptIndex].tokens + k.response
            var mask = [UInt8](repeating: 0, count: prompts[k.promptIndex].tokens.count) + [UInt8](repeating: 1, count: k.response.count)
            if toks.count > seqLen { return nil }
            let pad = seqLen - toks.count
            let seg = [Int32](repeating: 1, count: toks.count) + [Int32](repeating: 0, count: pad)
            toks += [Int32](repeating: 0, count: pad); mask += [UInt8](repeating: 0, count: pad)
            return TrainingRow(tokens: toks, segmentIds: seg, lossMask: mask)
        }
    }
}
