// Mean-over-response pooling: the gradient through the trunk by finite differences, the reward
// as the mean of the response tokens' last-token-style scores, truncation, and the config round trip.
import Foundation
import Testing
import SpindleIO
@testable import SpindleTrainer
import SpindleTestSupport

@Suite struct ScorePoolingTests {
    static let pairs = [
        PreferenceTokens(chosen: [1, 5, 9, 3, 2], rejected: [1, 5, 9, 7, 7, 2], degree: 3, promptLength: 3),
        PreferenceTokens(chosen: [1, 4, 10, 2], rejected: [1, 4, 6, 8, 2], degree: 1),
    ]

    func meanModel(seed: UInt64 = 1) throws -> LlamaModel {
        let m = try tinyRewardModel(seed: seed)
        var c = m.config
        c.scorePooling = .meanResponse
        let out = try LlamaModel(config: c, seed: seed)
        out.params.p.update(from: m.params.p, count: m.layout.totalCount)
        return out
    }

    @Test func rankingLossGradientThroughTrunk() throws {
        let m = try meanModel()
        let rm = RewardModel(model: m, rows: 2, seqLen: 12)
        m.zeroGradients()
        _ = rm.accumulate(Self.pairs, margins: .small, lossScale: 1)
        let loss: () -> Double = {
            let s = rm.score(Self.pairs.flatMap { [$0.chosen, $0.rejected] },
                             responseStarts: Self.pairs.flatMap { [$0.responseStart, $0.responseStart] })
            return Self.pairs.indices.reduce(0.0) {
                $0 + rankingLoss(chosen: Double(s[2 * $1]), rejected: Double(s[2 * $1 + 1]),
                                 margin: MarginTable.small.margin(degree: Self.pairs[$1].degree)).loss
            }
        }
        expectGradientsMatchFiniteDifferences(m, samples: 10, seed: 5, loss: loss)
    }

    /// Causal attention: the score of a prefix's last token is the per-token score at that position,
    /// so the mean-pooled reward is the mean of last-token rewards of the response's prefixes.
    @Test func meanIsTheMeanOfPrefixScores() throws {
        let mean = try meanModel()
        let last = try tinyRewardModel()
        let seq: [Int32] = [1, 5, 9, 3, 7, 2]
        let pooled = RewardModel(model: mean, rows: 1, seqLen: 8).score([seq], responseStarts: [3])[0]
        let prefixes = RewardModel(model: last, rows: 1, seqLen: 8).score((4...6).map { Array(seq.prefix($0)) })
        #expect(abs(pooled - prefixes.reduce(0, +) / 3) < 1e-5)
        // Mean pooling reads the shared prefix when the pair has no recorded prompt length.
        #expect(Self.pairs[1].responseStart == 2 && Self.pairs[0].responseStart == 3)
    }

    /// Sequences longer than the row keep their last tokens; the response start moves with them and
    /// a response longer than the row is averaged over what is kept.
    @Test func truncationKeepsTheResponseEnd() throws {
        let m = try meanModel()
        let seq: [Int32] = [1, 4, 4, 4, 5, 9, 3, 7, 2]
        let rm = RewardModel(model: m, rows: 1, seqLen: 6)
        let truncated = rm.score([seq], responseStarts: [5])[0]
        let kept = RewardModel(model: m, rows: 1, seqLen: 6).score([Array(seq.suffix(6))], responseStarts: [2])[0]
        #expect(abs(truncated - kept) < 1e-6)
        let all = rm.score([seq], responseStarts: [1])[0]
        let whole = rm.score([Array(seq.suffix(6))], responseStarts: [0])[0]
        #expect(abs(all - whole) < 1e-6)
    }

    @Test func configRoundTripsAndRejectsUnknownPooling() throws {
        var c = tinyConfig()
        c.scoreHead = true
        c.scorePooling = .meanResponse
        let back = try LlamaConfig(huggingFace: try JSONValue.parse(c.huggingFaceJSON()))
        #expect(back.scorePooling == .meanResponse)
        c.scorePooling = .last
        #expect(!c.huggingFaceJSON().contains("spindle_score_pooling"))   // transformers' own head: nothing added
        let bad = c.huggingFaceJSON().replacingOccurrences(of: "\"num_labels\"", with: "\"spindle_score_pooling\": \"max\", \"num_labels\"")
        #expect(throws: TrainerError.self) { try LlamaConfig(huggingFace: try JSONValue.parse(bad)) }
    }

    @Test func zeroInitialisedHeadScoresZero() throws {
        let lm = try tinyModel()
        let rm = try RewardModel.fromLanguageModel(lm, seed: 3, head: RewardHead(pooling: .meanResponse, initialization: .zero))
        #expect(rm.config.scorePooling == .meanResponse)
        let s = RewardModel(model: rm, rows: 1, seqLen: 8).score([[1, 5, 9, 2]], responseStarts: [1])
        #expect(s == [0])
    }
}
