// RewardHead.swift: the scalar head of a reward model (HF LlamaForSequenceClassification, num_labels 1):
// r = score.weight · rms(x_L)[last token of the sequence]. Llama 2 §3.2.2 trains it with the margin
// ranking loss −log σ(r_chosen − r_rejected − m).
import Foundation

extension LlamaModel {
    /// Rewards of the loaded batch: one per row, read at token `last[row]` (the last non-pad token).
    public func rewards(_ a: Activations, last: [Int], into out: inout [Float]) {
        precondition(layout.score >= 0, "rewards need a model with scoreHead")
        precondition(last.count == a.b && out.count == a.b)
        forward(a, logits: false)
        let d = config.dim
        for r in 0..<a.b { out[r] = dot(params.p + layout.score, a.xnF.p + (r * a.t + last[r]) * d, d) }
    }

    /// Backward from ∂L/∂reward per row (after `rewards` on the same batch); gradients are added.
    public func backwardFromRewards(_ a: Activations, last: [Int], rewardGradients g: [Float]) {
        let c = config, n = a.n, d = c.dim
        let P = params.p, G = grads.p
        a.dXn.zero()
        for r in 0..<a.b {
            let row = (r * a.t + last[r]) * d
            axpy(g[r], P + layout.score, a.dXn.p + row, d)          // ∂L/∂xnF = g · score
            axpy(g[r], a.xnF.p + row, G + layout.score, d)          // ∂L/∂score += g · xnF
        }
        a.dX.zero()
        rmsNormBackward(a.xs[c.nLayers].p, P + layout.finalNorm, a.rstdF.p, a.dXn.p, dx: a.dX.p,
                        dg: G + layout.finalNorm, n: n, d: d)
        let shape = AttentionShape(b: a.b, t: a.t, heads: c.nHeads, kvHeads: c.nKVHeads, hd: c.headDim)
        backwardLayers(a, shape: shape)
        embeddingBackward(a.dX.p, tokens: a.tokens, dE: G + layout.embed, n: n, d: d)
    }
}

/// Llama 2 reward-model loss for one pair: softplus(−(r_c − r_r − margin)) = −log σ(Δ − m).
/// Returns the loss and ∂loss/∂r_c (∂loss/∂r_r is its negative).
public func marginRankingLoss(chosen: Float, rejected: Float, margin: Float) -> (loss: Float, dChosen: Float) {
    let z = chosen - rejected - margin
    let loss = z > 0 ? log1p(exp(-z)) : -z + log1p(exp(z))    // softplus(−z), stable both ways
    return (loss, -1 / (1 + exp(z)))                            // −σ(−z)
}
