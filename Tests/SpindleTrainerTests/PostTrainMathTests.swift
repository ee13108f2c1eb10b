// The post-training formulas against values computed by hand (../shared/design/TRAINER.md part 2).
import Foundation
import Testing
@testable import SpindleTrainer

func close(_ a: Double, _ b: Double, _ tol: Double = 1e-6) -> Bool { abs(a - b) <= tol * max(1, abs(b)) }

@Suite struct RewardLossTests {
    @Test func marginTablesArePaperTable27() {
        #expect((0...3).map { MarginTable.none.margin(degree: $0) } == [0, 0, 0, 0])
        #expect((0...3).map { MarginTable.large.margin(degree: $0) } == [0, 1, 2, 3])
        let s = (0...3).map { MarginTable.small.margin(degree: $0) }
        #expect(close(s[0], 0) && close(s[1], 1.0 / 3) && close(s[2], 2.0 / 3) && close(s[3], 1))
    }

    @Test func zeroGapIsLogTwo() {
        let r = rankingLoss(chosen: 0.3, rejected: 0.3, margin: 0)
        #expect(close(r.loss, log(2.0)))
        #expect(close(r.dChosen, -0.5) && close(r.dRejected, 0.5))
    }

    // (table, degree, r_c, r_r, loss, dL/dr_c) — loss = log(1 + e^{−(Δ−m)}), dL/dr_c = −1/(1 + e^{Δ−m}).
    static let cases: [(MarginTable, Int, Double, Double, Double, Double)] = [
        (.none, 3, 1, 0, 0.31326168751822286, -0.2689414213699951),    // Δ−m = 1
        (.small, 3, 1, 0, 0.6931471805599453, -0.5),                   // m = 1
        (.small, 1, 1, 0, 0.41437008685207205, -0.33924363123418283),  // m = 1/3: Δ−m = 2/3
        (.large, 2, 1, 0, 1.3132616875182228, -0.7310585786300049),    // m = 2: Δ−m = −1
        (.large, 0, -1, 2, 3.048587351573742, -0.9525741268224334),    // m = 0: Δ = −3
    ]

    @Test(arguments: cases.indices)
    func handComputed(_ i: Int) {
        let (table, degree, rc, rr, loss, d) = Self.cases[i]
        let r = rankingLoss(chosen: rc, rejected: rr, margin: table.margin(degree: degree))
        #expect(close(r.loss, loss), "\(table) \(degree): loss \(r.loss)")
        #expect(close(r.dChosen, d) && close(r.dRejected, -d))
        // And the derivative agrees with central differences of the loss.
        let h = 1e-5, m = table.margin(degree: degree)
        let num = (rankingLoss(chosen: rc + h, rejected: rr, margin: m).loss - rankingLoss(chosen: rc - h, rejected: rr, margin: m).loss) / (2 * h)
        #expect(abs(num - r.dChosen) < 1e-7)
    }

    @Test func stableForHugeGaps() {
        #expect(rankingLoss(chosen: 800, rejected: 0, margin: 0).loss == 0)
        #expect(close(rankingLoss(chosen: -800, rejected: 0, margin: 0).loss, 800))
    }
}

@Suite struct PPOMathTests {
    @Test func gaeLambdaOneIsReturnToGoMinusValue() {
        let (a, ret) = generalizedAdvantages(rewards: [1, 2, 3], values: [0.5, 1, 1.5], gamma: 1, lambda: 1)
        #expect(a == [5.5, 4, 1.5])
        #expect(ret == [6, 5, 3])
    }

    @Test func gaeLambdaZeroIsTDError() {
        let (a, _) = generalizedAdvantages(rewards: [1, 2, 3], values: [0.5, 1, 1.5], gamma: 1, lambda: 0)
        #expect(a == [1.5, 2.5, 1.5])
    }

    @Test func gaeGeneral() {
        // δ = [1 + .9·1 − .5, 2 + .9·1.5 − 1, 3 − 1.5] = [1.4, 2.35, 1.5]; γλ = 0.855.
        let (a, ret) = generalizedAdvantages(rewards: [1, 2, 3], values: [0.5, 1, 1.5], gamma: 0.9, lambda: 0.95)
        #expect(close(a[2], 1.5) && close(a[1], 3.6325) && close(a[0], 4.5057875))
        #expect(close(ret[0], 5.0057875))
    }

    @Test func whitenIsTRLMaskedWhiten() {
        let w = maskedWhiten([1, 2, 3, 4])   // mean 2.5, unbiased var 5/3
        let s = (5.0 / 3 + 1e-8).squareRoot()
        #expect(zip(w, [-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s]).allSatisfy { close($0, $1) })
        let mean = w.reduce(0, +) / 4, varU = w.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 3
        #expect(abs(mean) < 1e-12 && close(varU, 1, 1e-6))
        let m = maskedWhiten([1, 100, 3], mask: [true, false, true])   // mean 2, var 2
        #expect(close(m[0], -1 / 2.0.squareRoot()) && m[1] == 100 && close(m[2], 1 / 2.0.squareRoot()))
        let r = maskedWhiten([1, 3], shiftMean: false)
        #expect(close(r[0], 2 - 1 / 2.0.squareRoot()) && close(r[1], 2 + 1 / 2.0.squareRoot()))
    }

    /// A reward that is length plus noise loses the length part and keeps its mean; the residual is
    /// uncorrelated with length; equal lengths or one sample leave rewards as they are.
    @Test func lengthTrendRemoval() {
        let lengths = [3, 10, 7, 20, 1, 15]
        let noise: [Double] = [0.3, -0.2, 0.1, 0.05, -0.25, 0.0]
        let r = zip(lengths, noise).map { 2 + 0.5 * Double($0) + $1 }
        let d = removingLengthTrend(r, lengths: lengths)
        let lm = Double(lengths.reduce(0, +)) / 6
        #expect(close(d.reduce(0, +) / 6, r.reduce(0, +) / 6))
        #expect(abs(zip(d, lengths).map { $0 * (Double($1) - lm) }.reduce(0, +)) < 1e-9)
        #expect(d.max()! - d.min()! < 1)          // the raw rewards span 10
        #expect(removingLengthTrend([1, 5, 2], lengths: [4, 4, 4]) == [1, 5, 2])
        #expect(removingLengthTrend([7], lengths: [9]) == [7])
    }

    /// The reference's line of reward on length: a policy whose answers are only longer (each reward
    /// moved along that line) gets the reference's length-controlled mean; a real gain survives.
    @Test func lengthControlledMeanTakesOffTheLengthPaidFor() {
        let lengths = [3, 10, 7, 20, 1, 15]
        let ref = zip(lengths, [0.3, -0.2, 0.1, 0.05, -0.25, 0.0]).map { 2 + 0.5 * Double($0) + $1 }
        let trend = LengthTrend(rewards: ref, lengths: lengths)
        #expect(abs(trend.slope - 0.5) < 0.05 && close(trend.meanLength, 56.0 / 6))
        #expect(close(trend.lengthControlledMean(rewards: ref, lengths: lengths), trend.meanReward))
        let longer = lengths.map { $0 + 8 }, paid = ref.map { $0 + trend.slope * 8 }
        #expect(paid.reduce(0, +) / 6 > trend.meanReward + 3.9)
        #expect(close(trend.lengthControlledMean(rewards: paid, lengths: longer), trend.meanReward))
        #expect(close(trend.lengthControlledMean(rewards: ref.map { $0 + 1 }, lengths: lengths), trend.meanReward + 1))
        #expect(LengthTrend(rewards: [1, 2, 3], lengths: [4, 4, 4]).slope == 0)
    }

    @Test func klEstimators() {
        #expect(klK1(logp: -1, logpRef: -2) == 1)
        #expect(close(klK3(logp: -1, logpRef: -2), exp(-1.0)))          // r = e⁻¹: r − 1 − log r = e⁻¹
        #expect(close(klK3(logp: -2, logpRef: -1), exp(1.0) - 2))       // r = e: e − 1 − 1
        #expect(klK3(logp: -1.3, logpRef: -1.3) == 0)
        #expect(close(approxKL(logpNew: [0, 1], logpOld: [0, 0]), 0.25))
    }

    // (ratio, advantage, loss, dLoss/dlogp_new, clipped) with ε = 0.2.
    static let surrogate: [(Double, Double, Double, Double, Bool)] = [
        (1.0, 2, -2, -2, false),       // ratio 1: −A, gradient −A
        (1.5, 2, -2.4, 0, true),       // A > 0, ratio above 1+ε: clipped, no gradient
        (1.5, -2, 3, 3, false),        // A < 0, ratio above: unclipped term is larger
        (0.5, -1, 0.8, 0, true),       // A < 0, ratio below 1−ε: clipped
        (0.5, 1, -0.5, -0.5, false),   // A > 0, ratio below: unclipped
    ]

    @Test(arguments: surrogate.indices)
    func clippedSurrogateCases(_ i: Int) {
        let (ratio, a, loss, d, clipped) = Self.surrogate[i]
        let r = clippedSurrogate(logpNew: log(ratio), logpOld: 0, advantage: a, clip: 0.2)
        #expect(close(r.loss, loss) && close(r.dLogp, d) && r.clipped == clipped, "case \(i): \(r)")
    }

    @Test func valueLossCases() {
        let a = clippedValueLoss(value: 1, oldValue: 0.5, ret: 2, clip: 0.2)    // clip(V) = .7: ½·1.69
        #expect(close(a.loss, 0.845) && a.dValue == 0 && a.clipped)
        let b = clippedValueLoss(value: 1, oldValue: 0.5, ret: 0, clip: 0.2)    // ½·1 > ½·.49
        #expect(close(b.loss, 0.5) && close(b.dValue, 1) && !b.clipped)
        let c = clippedValueLoss(value: 0.6, oldValue: 0.5, ret: 2, clip: 0.2)  // inside the band
        #expect(close(c.loss, 0.98) && close(c.dValue, -1.4))
    }
}

@Suite struct CombinedRewardTests {
    @Test func safetyPromptUsesSafetyModel() {
        let r = gatedReward(helpfulness: 2, safety: 1, isSafetyPrompt: true)
        #expect(r.score == 1 && r.source == .safetyPrompt)
    }
    @Test func lowSafetyScoreUsesSafetyModel() {
        let r = gatedReward(helpfulness: 2, safety: -2, isSafetyPrompt: false)   // σ(−2) = 0.119 < 0.15
        #expect(r.score == -2 && r.source == .safetyScore)
    }
    @Test func otherwiseHelpfulness() {
        let r = gatedReward(helpfulness: 2, safety: -1.7, isSafetyPrompt: false) // σ(−1.7) = 0.154 ≥ 0.15
        #expect(r.score == 2 && r.source == .helpfulness)
        // The threshold sits exactly at logit(0.15) = ln(0.15/0.85) = −1.7346.
        #expect(gatedReward(helpfulness: 5, safety: -1.7345, isSafetyPrompt: false).source == .helpfulness)
        #expect(gatedReward(helpfulness: 5, safety: -1.7347, isSafetyPrompt: false).source == .safetyScore)
    }
    @Test func batchIsGatedThenWhitened() {
        let c = combinedRewards(helpfulness: [2, 2, 2], safety: [1, -2, 0], isSafetyPrompt: [true, false, false])
        #expect(c.raw == [1, -2, 2])
        #expect(c.sources == [.safetyPrompt, .safetyScore, .helpfulness])
        #expect(zip(c.whitened, maskedWhiten([1, -2, 2])).allSatisfy { close($0, $1) })
    }
}
