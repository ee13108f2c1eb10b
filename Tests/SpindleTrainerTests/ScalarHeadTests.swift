// Scalar heads through the trunk: finite differences of the reward-model ranking loss and of the
// policy-gradient entry point, packing equivalence, and RM checkpoint naming.
import Foundation
import Testing
import SpindleIO
@testable import SpindleTrainer
import SpindleTestSupport

func tinyRewardModel(seed: UInt64 = 1) throws -> LlamaModel {
    var c = tinyConfig()
    c.scoreHead = true
    let m = try LlamaModel(config: c, seed: seed)
    var r = SeededRandom(seed: seed &+ 100)
    for t in m.layout.tensors {
        for i in 0..<t.count {
            m.params.p[t.offset + i] = t.shape.count == 1 ? 1 + (r.nextFloat() - 0.5) * 0.4 : (r.nextFloat() - 0.5) * 0.6
        }
    }
    return m
}

@Suite struct ScalarHeadTests {
    static let pairs = [
        PreferenceTokens(chosen: [1, 5, 9, 3, 2], rejected: [1, 5, 9, 7, 7, 2], degree: 3),
        PreferenceTokens(chosen: [1, 4, 10, 2], rejected: [1, 4, 6, 8, 2], degree: 1),
    ]

    @Test(arguments: MarginTable.allCases)
    func rankingLossGradientThroughTrunk(table: MarginTable) throws {
        let m = try tinyRewardModel()
        let rm = RewardModel(model: m, rows: 2, seqLen: 12)
        m.zeroGradients()
        _ = rm.accumulate(Self.pairs, margins: table, lossScale: 1)
        let loss: () -> Double = {
            let s = rm.score(Self.pairs.flatMap { [$0.chosen, $0.rejected] })
            return Self.pairs.indices.reduce(0.0) {
                $0 + rankingLoss(chosen: Double(s[2 * $1]), rejected: Double(s[2 * $1 + 1]),
                                 margin: table.margin(degree: Self.pairs[$1].degree)).loss
            }
        }
        expectGradientsMatchFiniteDifferences(m, samples: 10, seed: 5, loss: loss)
    }

    @Test func packedScoresEqualScoresAlone() throws {
        let m = try tinyRewardModel()
        let seqs: [[Int32]] = [[1, 5, 9, 3, 2], [1, 4, 6, 8, 2], [1, 2], [3, 3, 3, 3, 3, 3, 3]]
        let packed = RewardModel(model: m, rows: 2, seqLen: 12).score(seqs)
        let alone = RewardModel(model: m, rows: 1, seqLen: 7)
        for (i, s) in seqs.enumerated() {
            #expect(abs(alone.score([s])[0] - packed[i]) < 1e-5)
        }
    }

    @Test func policyGradientMatchesFiniteDifferences() throws {
        let m = try tinyModel()
        let a = Activations(config: m.config, b: 2, t: 6)
        let tokens: [Int32] = [1, 5, 9, 3, 3, 7, 2, 4, 4, 10, 0, 6]
        a.load(tokens: tokens, lossMask: [0, 0, 1, 1, 1, 1, 0, 0, 1, 1, 1, 0])
        let coef = randomArray(12, seed: 9)
        var logp = [Float](repeating: 0, count: 12), ent = logp
        m.zeroGradients()
        logp.withUnsafeMutableBufferPointer { lp in
            ent.withUnsafeMutableBufferPointer {
                m.policyForwardBackward(a, logp: lp.baseAddress!, entropy: $0.baseAddress!) { _, c in
                    for i in 0..<12 { c[i] = coef[i] }
                }
            }
        }
        // Targets: positions whose next token is masked in; entropy is positive there.
        #expect(ent.enumerated().allSatisfy { a.targets[$0.offset] < 0 ? $0.element == 0 : $0.element > 0 })
        var out = [Float](repeating: 0, count: 12)
        let loss: () -> Double = {
            out.withUnsafeMutableBufferPointer { m.logProbs(a, into: $0.baseAddress!) }
            return (0..<12).reduce(0.0) { $0 + Double(coef[$1]) * Double(out[$1]) }
        }
        let l0 = loss()
        #expect(abs(l0 - (0..<12).reduce(0.0) { $0 + Double(coef[$1]) * Double(logp[$1]) }) < 1e-4)
        expectGradientsMatchFiniteDifferences(m, samples: 10, seed: 7, loss: loss)
    }

    @Test func rewardModelFromLanguageModelKeepsTrunkAndNamesScoreHead() throws {
        let lm = try tinyModel()
        let rm = try RewardModel.fromLanguageModel(lm, seed: 3)
        #expect(rm.layout.tensor(named: "score.weight")?.shape == [1, 16])
        #expect(rm.layout.tensor(named: "lm_head.weight") == nil)
        let e = lm.layout.tensor(named: "model.layers.1.mlp.down_proj.weight")!, e2 = rm.layout.tensor(named: e.name)!
        #expect(Array(UnsafeBufferPointer(start: lm.params.p + e.offset, count: e.count)) == Array(UnsafeBufferPointer(start: rm.params.p + e2.offset, count: e2.count)))
        let tmp = TempDir("rm"); defer { tmp.cleanup() }
        let dir = tmp.sub("rm")
        try Checkpoint.save(rm, to: dir)
        let json = try String(contentsOfFile: dir + "/config.json", encoding: .utf8)
        #expect(json.contains("LlamaForSequenceClassification") && json.contains("\"num_labels\": 1"))
        let back = try Checkpoint.load(dir)
        #expect(back.config.scoreHead && back.parameters.elementsEqual(rm.parameters))
    }
}
