// CombinedReward.swift: Llama 2's reward for PPO (Touvron et al. 2023, §3.2.3):
//   R_c = R_s  if the prompt is a safety prompt or σ(R_s) < 0.15,  else R_h
//   R~_c = WHITEN(LOGIT(R_c))
// R_s and R_h are the reward models' linear outputs, so LOGIT(σ(x)) is the output itself.
import Foundation

/// Which reward model decided a sample's reward.
public enum RewardSource: String, Sendable { case helpfulness, safetyPrompt = "safety_prompt", safetyScore = "safety_score" }

/// The gated reward of one sample: the linear score of the chosen model and why it was chosen.
public func gatedReward(helpfulness rh: Double, safety rs: Double, isSafetyPrompt: Bool, threshold: Double = 0.15)
    -> (score: Double, source: RewardSource) {
    if isSafetyPrompt { return (rs, .safetyPrompt) }
    if sigmoid(rs) < threshold { return (rs, .safetyScore) }
    return (rh, .helpfulness)
}

/// Gated then whitened rewards over a rollout batch (TRL `masked_whiten` with the mean shifted out).
public func combinedRewards(helpfulness: [Double], safety: [Double], isSafetyPrompt: [Bool], threshold: Double = 0.15)
    -> (whitened: [Double], raw: [Double], sources: [RewardSource]) {
    precondition(helpfulness.count == safety.count && safety.count == isSafetyPrompt.count)
    let gated = helpfulness.indices.map { gatedReward(helpfulness: helpfulness[$0], safety: safety[$0], isSafetyPrompt: isSafetyPrompt[$0], threshold: threshold) }
    let raw = gated.map(\.score)
    return (maskedWhiten(raw), raw, gated.map(\.source))
}
