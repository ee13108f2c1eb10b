// DPOLoss.swift: Direct Preference Optimization (Rafailov et al. 2023) on summed response log-probs,
// with the conservative variant (cDPO, label smoothing ε), IPO (Azar et al. 2023, length-normalised as
// TRL's DPOTrainer computes it) and Llama 2's preference-degree margins as a per-pair logit offset.
//
//   h = (log π(y_c|x) − log π_ref(y_c|x)) − (log π(y_r|x) − log π_ref(y_r|x))     (sums over response tokens)
//   sigmoid:  z = β·h − m(degree)        L = (1 − ε)·softplus(−z) + ε·softplus(z)
//             ∂L/∂z = −(1 − ε)·σ(−z) + ε·σ(z),   ∂L/∂log π(y_c) = β·∂L/∂z,   ∂L/∂log π(y_r) = −β·∂L/∂z
//   ipo:      h̄ = (log π(y_c) − log π_ref(y_c))/n_c − (log π(y_r) − log π_ref(y_r))/n_r
//             L = (h̄ − 1/(2β))²,   ∂L/∂log π(y_c) = 2(h̄ − 1/(2β))/n_c,   ∂L/∂log π(y_r) = −2(h̄ − 1/(2β))/n_r
// Implicit rewards (logged): r_c = β·(log π(y_c) − log π_ref(y_c)), r_r likewise; a pair is "correct" when r_c > r_r.
import Foundation

/// The DPO objective family.
public enum DPOLossKind: String, Sendable, CaseIterable {
    /// −log σ(β·h − m), with optional label smoothing (cDPO).
    case sigmoid
    /// (h̄ − 1/(2β))² on per-token mean log-ratios (TRL's `ipo`).
    case ipo
}

/// The loss options of a DPO run.
public struct DPOLossSettings: Sendable, Equatable {
    public var kind: DPOLossKind = .sigmoid
    /// β: the strength of the implicit KL penalty (DPO paper: 0.1; TRL default 0.1).
    public var beta = 0.1
    /// ε of cDPO: the assumed probability that a preference label is flipped (sigmoid only).
    public var labelSmoothing = 0.0
    /// Llama 2 degree margins subtracted from the sigmoid logit (`.none`: plain DPO).
    public var margins: MarginTable = .none
    public init() {}

    /// Refuses combinations that have no meaning: ε or margins with IPO, ε outside [0, 0.5), β ≤ 0.
    public func validate() throws {
        guard beta.isFinite && beta > 0 else { throw TrainerError.config(field: "beta", message: "\(beta): must be a finite number above 0") }
        guard labelSmoothing.isFinite && labelSmoothing >= 0 && labelSmoothing < 0.5 else {
            throw TrainerError.config(field: "label_smoothing", message: "\(labelSmoothing): must be in [0, 0.5)")
        }
        if kind == .ipo && labelSmoothing != 0 {
            throw TrainerError.config(field: "label_smoothing", message: "label smoothing is a sigmoid (cDPO) option; IPO has none")
        }
        if kind == .ipo && margins != .none {
            throw TrainerError.config(field: "margins", message: "degree margins offset the sigmoid logit; IPO has none")
        }
    }
}

/// One pair's summed response log-probs under the policy and the reference, with response lengths.
public struct DPOPairLogProbs: Sendable, Equatable {
    public var chosen: Double, rejected: Double
    public var refChosen: Double, refRejected: Double
    public var chosenTokens: Int, rejectedTokens: Int
    public init(chosen: Double, rejected: Double, refChosen: Double, refRejected: Double, chosenTokens: Int, rejectedTokens: Int) {
        self.chosen = chosen; self.rejected = rejected; self.refChosen = refChosen; self.refRejected = refRejected
        self.chosenTokens = chosenTokens; self.rejectedTokens = rejectedTokens
    }
}

/// One pair's loss, its gradient with respect to the policy's summed log-probs, and the implicit rewards.
public struct DPOPairLoss: Sendable {
    public var loss: Double
    public var dChosen: Double, dRejected: Double
    public var rewardChosen: Double, rewardRejected: Double
    public var correct: Bool { rewardChosen > rewardRejected }
}

/// The DPO loss of one pair (`degree` 0…3 picks the margin).
public func dpoLoss(_ lp: DPOPairLogProbs, degree: Int, settings s: DPOLossSettings) -> DPOPairLoss {
    let ratioC = lp.chosen - lp.refChosen, ratioR = lp.rejected - lp.refRejected
    let rc = s.beta * ratioC, rr = s.beta * ratioR
    switch s.kind {
    case .sigmoid:
        let z = s.beta * (ratioC - ratioR) - s.margins.margin(degree: degree)
        let eps = s.labelSmoothing
        let loss = (1 - eps) * softplus(-z) + eps * softplus(z)
        let dz = -(1 - eps) * sigmoid(-z) + eps * sigmoid(z)
        return DPOPairLoss(loss: loss, dChosen: s.beta * dz, dRejected: -s.beta * dz, rewardChosen: rc, rewardRejected: rr)
    case .ipo:
        let nc = Double(max(1, lp.chosenTokens)), nr = Double(max(1, lp.rejectedTokens))
        let d = ratioC / nc - ratioR / nr - 1 / (2 * s.beta)
        return DPOPairLoss(loss: d * d, dChosen: 2 * d / nc, dRejected: -2 * d / nr, rewardChosen: rc, rewardRejected: rr)
    }
}
