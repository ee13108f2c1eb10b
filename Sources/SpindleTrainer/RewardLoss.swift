// RewardLoss.swift: the Llama 2 reward-model ranking loss with a preference-strength margin
// (Touvron et al. 2023, eq. 2 and Table 27):  L = −log σ(r_c − r_r − m(degree)) = softplus(−(Δ − m)).
import Foundation

/// Margin tables indexed by preference degree (0 negligibly/unsure, 1 slightly, 2 better, 3 significantly).
public enum MarginTable: String, Sendable, CaseIterable {
    /// No margin (plain Bradley–Terry, TRL's default).
    case none
    /// Paper Table 27 "margin small": 0, 1/3, 2/3, 1.
    case small
    /// Paper Table 27 "margin large": 0, 1, 2, 3.
    case large

    /// m(degree) for degree 0…3.
    public func margin(degree: Int) -> Double {
        precondition((0...3).contains(degree), "degree \(degree) is not 0…3")
        switch self {
        case .none: return 0
        case .small: return [0, 1.0 / 3, 2.0 / 3, 1][degree]
        case .large: return Double(degree)
        }
    }
}

/// softplus(x) = log(1 + eˣ), stable for large |x|.
@inline(__always) public func softplus(_ x: Double) -> Double {
    x > 0 ? x + log1p(exp(-x)) : log1p(exp(x))
}

/// σ(x), stable for large |x|.
@inline(__always) public func sigmoid(_ x: Double) -> Double {
    x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x))
}

/// Loss of one pair and its gradient with respect to the two scores:
/// ∂L/∂r_c = −σ(−(Δ − m)), ∂L/∂r_r = +σ(−(Δ − m)).
public func rankingLoss(chosen rc: Double, rejected rr: Double, margin m: Double)
    -> (loss: Double, dChosen: Double, dRejected: Double) {
    let z = rc - rr - m
    let g = sigmoid(-z)
    return (softplus(-z), -g, g)
}
