// DPO: the loss and its gradient by hand and by central differences (every loss kind, label smoothing,
// every margin table), the same through the whole model (every tensor), response-only log-prob sums
// equal to the scorer's, and the stage: a tiny policy learns a planted preference, resumes bit for bit,
// and the stored reference file is reused, recomputed when its key changes, and refused on resume.
import Foundation
import Testing
import SpindleIO
@testable import SpindleTrainer
import SpindleTestSupport

/// Pairs whose chosen answer ends in token 3 and rejected in token 7 (before </s> = 2); prompt 4 tokens.
func plantedDPOPairs(_ n: Int, seed: UInt64) -> [DPOPair] {
    var r = SeededRandom(seed: seed)
    return (0..<n).map { i in
        let prompt: [Int32] = [1] + (0..<3).map { _ in Int32(4 + r.next() % 6) }
        let body = (0..<Int(1 + r.next() % 3)).map { _ in Int32(4 + r.next() % 6) }
        return DPOPair(chosen: prompt + body + [3, 2], rejected: prompt + body + [7, 2], promptLength: 4, degree: i % 4)
    }
}

func tinyDPOConfig(out: String, steps: Int) -> TrainConfig {
    var c = TrainConfig(model: tinyConfig())
    c.seqLen = 16; c.batchSize = 8; c.gradAccum = 2; c.steps = steps; c.lr = 1e-2; c.warmupSteps = 2
    c.threads = 1; c.logEvery = 1000; c.evalEvery = 0; c.checkpointEvery = 1; c.outputDir = out; c.seed = 7
    c.adamw.weightDecay = 0
    return c
}

func dpoSettings(_ kind: DPOLossKind, beta: Double = 0.1, smoothing: Double = 0, margins: MarginTable = .none) -> DPOLossSettings {
    var s = DPOLossSettings()
    s.kind = kind; s.beta = beta; s.labelSmoothing = smoothing; s.margins = margins
    return s
}

@Suite struct DPOLossTests {
    let lp = DPOPairLogProbs(chosen: -12.5, rejected: -14.0, refChosen: -13.0, refRejected: -13.25, chosenTokens: 5, rejectedTokens: 8)

    @Test func equalRatiosCostLogTwo() {
        let same = DPOPairLogProbs(chosen: -3, rejected: -7, refChosen: -3, refRejected: -7, chosenTokens: 2, rejectedTokens: 3)
        let l = dpoLoss(same, degree: 0, settings: dpoSettings(.sigmoid, beta: 0.1))
        #expect(abs(l.loss - log(2)) < 1e-15)
        #expect(abs(l.dChosen + 0.05) < 1e-15 && abs(l.dRejected - 0.05) < 1e-15)
        #expect(l.rewardChosen == 0 && l.rewardRejected == 0 && !l.correct)
    }

    @Test func sigmoidSmoothingMarginsAndIPOByHand() {
        // h = (−12.5 + 13) − (−14 + 13.25) = 0.5 + 0.75 = 1.25; β = 0.1 → β·h = 0.125.
        let z = 0.125
        let plain = dpoLoss(lp, degree: 2, settings: dpoSettings(.sigmoid))
        #expect(abs(plain.loss - log(1 + exp(-z))) < 1e-14)
        #expect(abs(plain.dChosen - (-0.1 / (1 + exp(z)))) < 1e-14)
        #expect(abs(plain.rewardChosen - 0.05) < 1e-14 && abs(plain.rewardRejected + 0.075) < 1e-14 && plain.correct)
        let cdpo = dpoLoss(lp, degree: 2, settings: dpoSettings(.sigmoid, smoothing: 0.2))
        #expect(abs(cdpo.loss - (0.8 * log(1 + exp(-z)) + 0.2 * log(1 + exp(z)))) < 1e-14)
        // Large margins: degree 2 → m = 2, z = 0.125 − 2.
        let big = dpoLoss(lp, degree: 2, settings: dpoSettings(.sigmoid, margins: .large))
        #expect(abs(big.loss - log(1 + exp(2 - z))) < 1e-14)
        let small = dpoLoss(lp, degree: 3, settings: dpoSettings(.sigmoid, margins: .small))
        #expect(abs(small.loss - log(1 + exp(1 - z))) < 1e-14)
        // IPO: h̄ = 0.5/5 − (−0.75)/8 = 0.19375; L = (0.19375 − 5)².
        let ipo = dpoLoss(lp, degree: 2, settings: dpoSettings(.ipo))
        #expect(abs(ipo.loss - (0.19375 - 5) * (0.19375 - 5)) < 1e-12)
        #expect(abs(ipo.dChosen - 2 * (0.19375 - 5) / 5) < 1e-12 && abs(ipo.dRejected + 2 * (0.19375 - 5) / 8) < 1e-12)
    }

    @Test(arguments: [dpoSettings(.sigmoid), dpoSettings(.sigmoid, beta: 0.5, smoothing: 0.1), dpoSettings(.sigmoid, margins: .small),
                      dpoSettings(.sigmoid, beta: 2, smoothing: 0.3, margins: .large), dpoSettings(.ipo), dpoSettings(.ipo, beta: 1)])
    func gradientMatchesCentralDifferences(_ s: DPOLossSettings) {
        for degree in 0...3 {
            let l = dpoLoss(lp, degree: degree, settings: s)
            let h = 1e-5
            var a = lp, b = lp
            a.chosen += h; b.chosen -= h
            let dc = (dpoLoss(a, degree: degree, settings: s).loss - dpoLoss(b, degree: degree, settings: s).loss) / (2 * h)
            a = lp; b = lp
            a.rejected += h; b.rejected -= h
            let dr = (dpoLoss(a, degree: degree, settings: s).loss - dpoLoss(b, degree: degree, settings: s).loss) / (2 * h)
            #expect(abs(dc - l.dChosen) < 1e-8 && abs(dr - l.dRejected) < 1e-8, "\(s) degree \(degree): \(dc) vs \(l.dChosen), \(dr) vs \(l.dRejected)")
        }
    }

    @Test func stableForLargeLogits() {
        let far = DPOPairLogProbs(chosen: 0, rejected: -9000, refChosen: 0, refRejected: 0, chosenTokens: 1, rejectedTokens: 1)
        let l = dpoLoss(far, degree: 0, settings: dpoSettings(.sigmoid))
        #expect(l.loss.isFinite && l.loss < 1e-300 && l.dChosen.isFinite && abs(l.dChosen) < 1e-300)
        let back = dpoLoss(DPOPairLogProbs(chosen: -9000, rejected: 0, refChosen: 0, refRejected: 0, chosenTokens: 1, rejectedTokens: 1),
                           degree: 0, settings: dpoSettings(.sigmoid, smoothing: 0.1))
        #expect(abs(back.loss - (0.9 * 900 + 0.1 * log1p(exp(-900)))) < 1e-9 && abs(back.dChosen - 0.1 * -0.9) < 1e-12)
    }

    @Test func meaninglessCombinationsAreRefused() {
        #expect(throws: TrainerError.self) { try dpoSettings(.ipo, smoothing: 0.1).validate() }
        #expect(throws: TrainerError.self) { try dpoSettings(.ipo, margins: .small).validate() }
        #expect(throws: TrainerError.self) { try dpoSettings(.sigmoid, smoothing: 0.5).validate() }
        #expect(throws: TrainerError.self) { try dpoSettings(.sigmoid, beta: 0).validate() }
        #expect(throws: Never.self) { try dpoSettings(.sigmoid, smoothing: 0.49, margins: .large).validate() }
    }
}

@Suite struct DPOModelTests {
    /// Mean DPO loss of `pairs` under `model` (forward only), as the scorer computes it.
    func meanLoss(_ m: LlamaModel, _ sc: DPOScorer, _ pairs: [DPOPair], ref: [Int: DPOReferenceEntry], _ s: DPOLossSettings) -> Double {
        let pol = sc.logProbs(m, pairs, Array(pairs.indices))
        return pairs.indices.reduce(0.0) { acc, i in
            let p = pol[i]!, r = ref[i]!
            return acc + dpoLoss(DPOPairLogProbs(chosen: p.chosen, rejected: p.rejected, refChosen: r.chosen, refRejected: r.rejected,
                                                 chosenTokens: p.chosenTokens, rejectedTokens: p.rejectedTokens),
                                 degree: pairs[i].degree, settings: s).loss
        } / Double(pairs.count)
    }

    @Test(arguments: [dpoSettings(.sigmoid, beta: 0.5, smoothing: 0.1, margins: .small), dpoSettings(.ipo, beta: 0.5)])
    func lossGradientThroughTheModelMatchesCentralDifferences(_ s: DPOLossSettings) throws {
        let m = try tinyModel(), refModel = try tinyModel(seed: 2)
        // Over-long sequences (kept to their last 12 tokens) included.
        var pairs = plantedDPOPairs(5, seed: 3)
        pairs.append(DPOPair(chosen: [1] + (0..<12).map { Int32(4 + $0 % 6) } + [3, 2], rejected: [1, 4, 5, 6, 7, 3, 2], promptLength: 3, degree: 3))
        let sc = DPOScorer(config: m.config, rows: 2, seqLen: 12)
        let ref = sc.logProbs(refModel, pairs, Array(pairs.indices))
        m.zeroGradients()
        let st = sc.accumulate(m, pairs, Array(pairs.indices), ref: { ref[$0]! }, settings: s, scale: 1 / Double(pairs.count))
        let l0 = meanLoss(m, sc, pairs, ref: ref, s)
        #expect(abs(st.lossSum / Double(pairs.count) - l0) < 1e-6)
        expectGradientsMatchFiniteDifferences(m, samples: 8, seed: 11) { meanLoss(m, sc, pairs, ref: ref, s) }
    }

    @Test func responseSumsEqualTheScorersOnEachSequenceAlone() throws {
        let m = try tinyModel()
        let pairs = plantedDPOPairs(7, seed: 5)
        let sc = DPOScorer(config: m.config, rows: 3, seqLen: 16)
        let got = sc.logProbs(m, pairs, Array(pairs.indices))
        let scorer = Scorer(model: m)
        for (i, p) in pairs.enumerated() {
            for (seq, sum, n) in [(p.chosen, got[i]!.chosen, got[i]!.chosenTokens), (p.rejected, got[i]!.rejected, got[i]!.rejectedTokens)] {
                let lp = try scorer.logProbs(seq)   // lp[j − 1] = log p(seq[j] | seq[..<j])
                let want = (p.promptLength..<seq.count).reduce(0.0) { $0 + Double(lp[$1 - 1]) }
                #expect(n == seq.count - p.promptLength)
                #expect(abs(sum - want) < 1e-4, "pair \(i): packed \(sum), alone \(want)")
            }
        }
    }

    @Test func pairsWithoutAResponseTokenAreRefused() {
        let p = DPOPair(chosen: [1, 4, 5, 2], rejected: [1, 4, 5, 6, 2], promptLength: 4, degree: 0)
        #expect(throws: TrainerError.self) { try DPOScorer.check([p], t: 16, name: "x") }
        #expect(DPOScorer.responseRange(count: 20, promptLength: 4, t: 16) == 5..<20)
        #expect(DPOScorer.responseRange(count: 10, promptLength: 4, t: 16) == 4..<10)
    }
}
