// Llama+Heads.swift: scalar heads on the final normed hidden state, for reward models (score at the
// last token of each sequence) and value models (score at every token), and the policy-gradient
// entry point (backward from a per-token coefficient on log p(target)).
//
//   s_i = xnF_i · w_score          ∂L/∂xnF_i = (∂L/∂s_i)·w_score,  ∂L/∂w_score = Σ_i (∂L/∂s_i)·xnF_i
// The trunk backward from ∂L/∂xnF (final norm, layers, embedding) is the tail of `backward`.
import Foundation

extension LlamaModel {
    /// Runs the trunk and the score head on every token of the loaded batch: `out` [n].
    public func scoreForward(_ a: Activations, into out: UnsafeMutablePointer<Float>) {
        precondition(layout.score >= 0, "scoreForward needs a score head (LlamaForSequenceClassification)")
        forward(a, logits: false)
        let d = config.dim, w = params.p + layout.score, x = a.xnF.p
        for i in 0..<a.n { out[i] = dot(x + i * d, w, d) }
    }

    /// Adds the gradient of a loss whose derivative with respect to token i's score is `dScores[i]`
    /// (0 for tokens that do not count) to `gradients`. Needs the activations of `scoreForward`.
    public func scoreBackward(_ a: Activations, dScores: UnsafePointer<Float>) {
        let n = a.n, d = config.dim, G = grads.p, P = params.p
        let w = P + layout.score, dw = G + layout.score
        let x = a.xnF.p, dxn = a.dXn.p
        for i in 0..<n {
            let g = dScores[i]
            let row = dxn + i * d
            if g == 0 { row.update(repeating: 0, count: d); continue }
            for j in 0..<d { row[j] = g * w[j] }
            axpy(g, x + i * d, dw, d)
        }
        backwardFromNormed(a)
    }

    /// Backward from ∂L/∂xnF held in `a.dXn` through the final norm, every layer and the embedding.
    func backwardFromNormed(_ a: Activations) {
        let c = config, n = a.n, d = c.dim
        let P = params.p, G = grads.p
        let shape = AttentionShape(b: a.b, t: a.t, heads: c.nHeads, kvHeads: c.nKVHeads, hd: c.headDim)
        a.dX.zero()
        rmsNormBackward(a.xs[c.nLayers].p, P + layout.finalNorm, a.rstdF.p, a.dXn.p, dx: a.dX.p,
                        dg: G + layout.finalNorm, n: n, d: d)
        backwardLayers(a, shape: shape)
        embeddingBackward(a.dX.p, tokens: a.tokens, dE: G + layout.embed, n: n, d: d)
    }

    /// Policy-gradient pass: forward with the LM head, then for every token with a target,
    /// log p_i = log softmax(logits_i)[target_i] into `logp`, the entropy into `entropy`, and the
    /// gradient of L = Σ_i coef_i · log p_i added to `gradients` (∂L/∂logits_i = coef_i·(onehot − p)).
    /// Tokens without a target get logp 0, entropy 0 and no gradient.
    public func policyForwardBackward(_ a: Activations, coefficients: UnsafePointer<Float>,
                                      logp: UnsafeMutablePointer<Float>, entropy: UnsafeMutablePointer<Float>) {
        precondition(layout.head >= 0, "policyForwardBackward needs a language-model head")
        forward(a)
        let vocab = config.vocabSize, L = a.logits.p, T = a.targets
        parallelRanges(a.n, grain: 8) { rows in
            for r in rows {
                let l = L + r * vocab
                let t = Int(T[r])
                if t < 0 { l.update(repeating: 0, count: vocab); logp[r] = 0; entropy[r] = 0; continue }
                let mx = maxOf(l, vocab)
                let target = l[t]
                var s = 0.0
                for i in 0..<vocab { s += Double(l[i] - mx) * exp(Double(l[i] - mx)) }
                let z = expShiftSum(l, l, vocab, shift: mx)   // l ← exp(l − max)
                logp[r] = target - mx - logf(z)
                entropy[r] = Float(log(Double(z)) - s / Double(z))
                // ∂(coef·log p)/∂logits = coef·(onehot − softmax); the loss gradient is its negative
                // for a quantity to *minimise*, so callers pass coef = ∂Loss/∂log p and we write
                // ∂Loss/∂logits = coef·(onehot − p).
                let c = coefficients[r]
                SpindleTrainer.scale(l, vocab, by: -c / z)
                l[t] += c
            }
        }
        backward(a)
    }
}
