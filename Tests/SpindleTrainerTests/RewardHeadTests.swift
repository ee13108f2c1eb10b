// The scalar reward head: finite differences through the whole model, the margin loss.
import Foundation
import Testing
@testable import SpindleTrainer

@Suite struct RewardHeadTests {
    @Test func rewardGradientsMatchFiniteDifferences() throws {
        var c = tinyConfig(); c.scoreHead = true
        let m = try LlamaModel(config: c, seed: 4)
        var r = SeededRandom(seed: 8)
        for t in m.layout.tensors { for i in 0..<t.count { m.params.p[t.offset + i] = t.shape.count == 1 ? 1 + (r.nextFloat() - 0.5) * 0.4 : (r.nextFloat() - 0.5) * 0.6 } }
        #expect(m.layout.head == -1 && m.layout.tensor(named: "score.weight")?.shape == [1, 16])
        let a = Activations(config: c, b: 2, t: 6)
        a.load(tokens: [1, 4, 6, 8, 0, 0, 1, 3, 3, 9, 10, 2], segments: [0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0])
        let last = [3, 5]
        // Loss = margin loss of row 0 (chosen) over row 1 (rejected), margin 0.5.
        func loss() -> Double {
            var out: [Float] = [0, 0]
            m.rewards(a, last: last, into: &out)
            return Double(marginRankingLoss(chosen: out[0], rejected: out[1], margin: 0.5).loss)
        }
        var out: [Float] = [0, 0]
        m.rewards(a, last: last, into: &out)
        let g = marginRankingLoss(chosen: out[0], rejected: out[1], margin: 0.5).dChosen
        m.zeroGradients()
        m.backwardFromRewards(a, last: last, rewardGradients: [g, -g])
        var worst = 0.0
        for t in m.layout.tensors {
            let idx = (0..<min(10, t.count)).map { _ in t.offset + Int(r.next() % UInt64(t.count)) }
            let e = gradientRelativeError(values: m.params.p, analytic: m.grads.p, indices: idx, h: 1e-2, loss: loss)
            #expect(e < 5e-3, "\(t.name): \(e)")
            worst = max(worst, e)
        }
        print("reward head: worst per-tensor relative error \(worst)")
    }

    @Test func marginLossFacts() {
        let z = marginRankingLoss(chosen: 0.3, rejected: 0.3, margin: 0)
        #expect(abs(z.loss - log(2)) < 1e-6 && abs(z.dChosen + 0.5) < 1e-6)   // TRAINER.md: Δ = m = 0 gives log 2
        let big = marginRankingLoss(chosen: 100, rejected: 0, margin: 1)
        #expect(big.loss >= 0 && big.loss < 1e-20)
        #expect(marginRankingLoss(chosen: -100, rejected: 0, margin: 0).loss == 100)
    }
}
