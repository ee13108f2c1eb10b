// RewardPair.swift: the helpfulness and safety reward models scoring the same samples, and the
// Llama 2 gate between them (CombinedReward.swift).
import Foundation
import SpindleIO

/// Scores of one sample under both reward models and the gated choice.
public struct SampleReward: Sendable {
    public var helpfulness: Double
    public var safety: Double
    public var gated: Double
    public var source: RewardSource
}

/// Both reward models. With no safety model the helpfulness score is used throughout.
public final class RewardPair {
    public let helpfulness: RewardModel
    public let safety: RewardModel?
    public let threshold: Double

    public init(helpfulness: RewardModel, safety: RewardModel?, threshold: Double = 0.15) {
        self.helpfulness = helpfulness; self.safety = safety; self.threshold = threshold
    }

    /// Both models run their kernels on `parallel`.
    public func use(_ parallel: Parallel) {
        helpfulness.model.parallel = parallel
        safety?.model.parallel = parallel
    }

    /// Loads reward-model checkpoints, checking they read the policy's tokens.
    public static func load(helpfulness: String, safety: String?, policy: (dir: String, config: LlamaConfig),
                            rows: Int, seqLen: Int) throws -> RewardPair {
        func one(_ dir: String) throws -> RewardModel {
            let m = try Checkpoint.load(dir)
            guard m.layout.score >= 0 else {
                throw TrainerError.config(field: "reward model", message: "\(dir) has no score head (config.json architectures is not LlamaForSequenceClassification)")
            }
            try PostTrainData.checkCompatible((policy.dir, policy.config, try PostTrainData.readStamp(policy.dir)),
                                              (dir, m.config, try PostTrainData.readStamp(dir)), sameWidth: false)
            return RewardModel(model: m, rows: rows, seqLen: min(seqLen, m.config.maxSeqLen))
        }
        return RewardPair(helpfulness: try one(helpfulness), safety: try safety.map(one), threshold: 0.15)
    }

    /// Scores `sequences` (prompt + response + </s>); `isSafety[i]`: the prompt is a safety prompt;
    /// `responseStarts[i]`: the prompt's length (read by mean-pooled models).
    public func score(_ sequences: [[Int32]], isSafety: [Bool], responseStarts: [Int]) -> [SampleReward] {
        let h = helpfulness.score(sequences, responseStarts: responseStarts)
        let s = safety?.score(sequences, responseStarts: responseStarts)
        return sequences.indices.map { i in
            let rh = Double(h[i])
            guard let s else { return SampleReward(helpfulness: rh, safety: .nan, gated: rh, source: .helpfulness) }
            let rs = Double(s[i])
            let g = gatedReward(helpfulness: rh, safety: rs, isSafetyPrompt: isSafety[i], threshold: threshold)
            return SampleReward(helpfulness: rh, safety: rs, gated: g.score, source: g.source)
        }
    }
}

/// Mean and (population) standard deviation.
func meanStd(_ x: [Double]) -> (mean: Double, std: Double) {
    let v = x.filter { $0.isFinite }
    guard !v.isEmpty else { return (.nan, .nan) }
    let m = v.reduce(0, +) / Double(v.count)
    return (m, (v.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(v.count)).squareRoot())
}

/// A seed for (base, a, b) that does not collide across iterations and prompts.
func mixSeed(_ base: UInt64, _ a: Int, _ b: Int) -> UInt64 {
    var r = SeededRandom(seed: base ^ (UInt64(bitPattern: Int64(a)) &* 0x9E37_79B9_7F4A_7C15) ^ (UInt64(bitPattern: Int64(b)) &* 0xC2B2_AE3D_27D4_EB4F))
    return r.next()
}
