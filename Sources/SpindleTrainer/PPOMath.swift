// PPOMath.swift: the per-token pieces of PPO as pure functions over one response (or a batch of
// them with a mask) — advantage estimation, whitening, KL estimators, clipped losses. The formulas
// follow TRL's ppo_trainer (masked_whiten, GAE, clipped policy/value losses); see
// ../shared/design/TRAINER.md part 2.
import Foundation

/// Generalised advantage estimation over one response of T tokens (Schulman et al. 2016):
/// δ_t = r_t + γ·V_{t+1} − V_t (V_T = 0), A_t = δ_t + γλ·A_{t+1}; returns_t = A_t + V_t.
public func generalizedAdvantages(rewards: [Double], values: [Double], gamma: Double, lambda: Double)
    -> (advantages: [Double], returns: [Double]) {
    precondition(rewards.count == values.count)
    let n = rewards.count
    var adv = [Double](repeating: 0, count: n)
    var last = 0.0
    for t in stride(from: n - 1, through: 0, by: -1) {
        let next = t + 1 < n ? values[t + 1] : 0
        let delta = rewards[t] + gamma * next - values[t]
        last = delta + gamma * lambda * last
        adv[t] = last
    }
    return (adv, zip(adv, values).map { $0 + $1 })
}

/// TRL `masked_whiten`: (x − mean)·rsqrt(var + 1e-8) over the entries where `mask` is set, with the
/// Bessel-corrected variance; `shiftMean: false` adds the mean back (rescale only). Masked-out
/// entries are returned unchanged.
public func maskedWhiten(_ x: [Double], mask: [Bool]? = nil, shiftMean: Bool = true) -> [Double] {
    let m = mask ?? [Bool](repeating: true, count: x.count)
    precondition(m.count == x.count)
    let idx = x.indices.filter { m[$0] }
    guard !idx.isEmpty else { return x }
    let count = Double(idx.count)
    let mean = idx.reduce(0.0) { $0 + x[$1] } / count
    let ss = idx.reduce(0.0) { $0 + (x[$1] - mean) * (x[$1] - mean) }
    let variance = idx.count > 1 ? ss / (count - 1) : 0
    let inv = 1 / (variance + 1e-8).squareRoot()
    var out = x
    for i in idx { out[i] = (x[i] - mean) * inv + (shiftMean ? 0 : mean) }
    return out
}

/// Per-token KL estimators from log π_θ(a) and log π_ref(a) (Schulman, "Approximating KL divergence"):
/// k1 = logp − logp_ref; k3 = (r − 1) − log r with r = p_ref / p = exp(−k1) (non-negative, unbiased).
public func klK1(logp: Double, logpRef: Double) -> Double { logp - logpRef }
public func klK3(logp: Double, logpRef: Double) -> Double {
    let logr = logpRef - logp
    return expm1(logr) - logr
}

/// Approximate KL between the sampling and current policy used for early-stopping diagnostics:
/// ½·mean((logp_new − logp_old)²) (TRL `approxkl`).
public func approxKL(logpNew: [Double], logpOld: [Double]) -> Double {
    guard !logpNew.isEmpty else { return 0 }
    var s = 0.0
    for (a, b) in zip(logpNew, logpOld) { s += (a - b) * (a - b) }
    return 0.5 * s / Double(logpNew.count)
}

/// The clipped surrogate for one token: max(−A·ρ, −A·clip(ρ, 1−ε, 1+ε)) with ρ = exp(logp_new − logp_old).
/// Returns the loss, its derivative with respect to logp_new, and whether the clipped branch was taken.
public func clippedSurrogate(logpNew: Double, logpOld: Double, advantage a: Double, clip eps: Double)
    -> (loss: Double, dLogp: Double, clipped: Bool) {
    let ratio = exp(logpNew - logpOld)
    let unclipped = -a * ratio
    let clippedRatio = min(max(ratio, 1 - eps), 1 + eps)
    let clippedLoss = -a * clippedRatio
    if clippedLoss > unclipped {
        // The clipped branch is constant in logp_new when the ratio is outside [1−ε, 1+ε].
        let outside = ratio < 1 - eps || ratio > 1 + eps
        return (clippedLoss, outside ? 0 : -a * ratio, outside)
    }
    return (unclipped, -a * ratio, false)
}

/// The clipped value loss for one token: ½·max((V − R)², (clip(V, V_old ± ε) − R)²).
/// Returns the loss, dL/dV and whether the clipped term was the larger.
public func clippedValueLoss(value v: Double, oldValue vOld: Double, ret: Double, clip eps: Double)
    -> (loss: Double, dValue: Double, clipped: Bool) {
    let vClipped = min(max(v, vOld - eps), vOld + eps)
    let l1 = (v - ret) * (v - ret), l2 = (vClipped - ret) * (vClipped - ret)
    if l2 > l1 {
        let inside = v > vOld - eps && v < vOld + eps
        return (0.5 * l2, inside ? (vClipped - ret) : 0, true)
    }
    return (0.5 * l1, v - ret, false)
}

/// Entropy of a softmax over `logits` (natural log).
func softmaxEntropy(_ logits: UnsafePointer<Float>, vocab: Int) -> Double {
    var mx = -Float.infinity
    for i in 0..<vocab { mx = max(mx, logits[i]) }
    var z = 0.0, s = 0.0
    for i in 0..<vocab {
        let e = exp(Double(logits[i] - mx))
        z += e; s += e * Double(logits[i] - mx)
    }
    return log(z) - s / z
}

/// The least-squares line of reward on answer length: r ≈ r̄ + slope·(ℓ − meanLength).
public struct LengthTrend: Sendable, Equatable {
    public var slope: Double
    public var meanLength: Double
    public var meanReward: Double
    public init(slope: Double, meanLength: Double, meanReward: Double) {
        self.slope = slope; self.meanLength = meanLength; self.meanReward = meanReward
    }

    /// The fit: slope = Σ(ℓ_i − ℓ̄)(r_i − r̄) / Σ(ℓ_i − ℓ̄)²; 0 when every length is equal.
    public init(rewards: [Double], lengths: [Int]) {
        precondition(rewards.count == lengths.count && !rewards.isEmpty)
        let n = Double(rewards.count)
        let lm = Double(lengths.reduce(0, +)) / n, rm = rewards.reduce(0, +) / n
        var sxy = 0.0, sxx = 0.0
        for (r, l) in zip(rewards, lengths) { sxy += (Double(l) - lm) * (r - rm); sxx += (Double(l) - lm) * (Double(l) - lm) }
        self.init(slope: sxx > 0 ? sxy / sxx : 0, meanLength: lm, meanReward: rm)
    }

    /// Mean reward of other samples with what this trend pays for their mean length's change taken
    /// off: r̄' − slope·(ℓ̄' − meanLength). Fitted on the reference policy's held-out samples, it is the
    /// held-out signal a length-hacking policy cannot raise by changing its answers' length alone.
    public func lengthControlledMean(rewards: [Double], lengths: [Int]) -> Double {
        precondition(rewards.count == lengths.count && !rewards.isEmpty)
        let n = Double(rewards.count)
        return rewards.reduce(0, +) / n - slope * (Double(lengths.reduce(0, +)) / n - meanLength)
    }
}

/// `rewards` with their least-squares linear trend on `lengths` removed, the mean kept:
/// r'_i = r_i − b·(ℓ_i − ℓ̄), b = Σ(ℓ_i − ℓ̄)(r_i − r̄) / Σ(ℓ_i − ℓ̄)². Applied to a rollout's rewards
/// before whitening, no answer gains advantage from its length alone (within the batch), so a reward
/// model that pays for short or long answers cannot pull the policy's length with it — the length
/// hacking `make rlhf-real` shows with HH's safety model (docs/POSTTRAIN.md). Equal lengths: unchanged.
public func removingLengthTrend(_ rewards: [Double], lengths: [Int]) -> [Double] {
    precondition(rewards.count == lengths.count)
    guard rewards.count > 1 else { return rewards }
    let trend = LengthTrend(rewards: rewards, lengths: lengths)
    guard trend.slope != 0 else { return rewards }
    return zip(rewards, lengths).map { $0 - trend.slope * (Double($1) - trend.meanLength) }
}
