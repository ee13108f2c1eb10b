// Llama+Heads.swift: scalar heads on the final normed hidden state, for reward models (score at the
// last token of each sequence) and value models (score at every token), and the policy-gradient
// entry point (backward from a per-token coefficient on log p(target)).
//
//   s_i = xnF_i · w_score          ∂L/∂xnF_i = (∂L/∂s_i)·w_score,  ∂L/∂w_score = Σ_i (∂L/∂s_i)·xnF_i
// The trunk backward from ∂L/∂xnF (final norm, layers, embedding) is the tail of `backward`.
import Foundation
import SpindleIO

extension LlamaModel {
    /// Runs the trunk and the score head on every token of the loaded batch: `out` [n].
    func scoreForward(_ a: Activations, into out: UnsafeMutablePointer<Float>) {
        precondition(layout.score >= 0, "scoreForward needs a score head (LlamaForSequenceClassification)")
        forward(a, logits: false)
        let d = config.dim, w = scoreWeights.w, x = a.xnF.p   // the adapters' copy while LoRA trains it
        for i in 0..<a.n { out[i] = dot(x + i * d, w, d) }
    }

    /// Adds the gradient of a loss whose derivative with respect to token i's score is `dScores[i]`
    /// (0 for tokens that do not count) to `gradients`. Needs the activations of `scoreForward`.
    func scoreBackward(_ a: Activations, dScores: UnsafePointer<Float>) {
        let n = a.n, d = config.dim
        let (w, dw) = scoreWeights
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
        rmsNormBackward(parallel, a.xs[c.nLayers].p, P + layout.finalNorm, a.rstdF.p, a.dXn.p, dx: a.dX.p,
                        dg: G + layout.finalNorm, n: n, d: d)
        backwardLayers(a, shape: shape)
        guard lora == nil else { return }   // frozen trunk: no embedding gradient
        embeddingBackward(a.dX.p, tokens: a.tokens, dE: G + layout.embed, n: n, d: d)
    }

    /// Policy-gradient pass: forward with the LM head; log p_i = log softmax(logits_i)[target_i] into
    /// `logp` for every token with a target (0 elsewhere); then `coefficients(logp, coef)` fills
    /// coef_i = ∂Loss/∂log p_i (it may depend on log p, as PPO's ratio does); the entropy of each
    /// token's distribution goes to `entropy`, and ∂Loss/∂logits_i = coef_i·(onehot − p_i) is
    /// back-propagated into `gradients` (added).
    func policyForwardBackward(_ a: Activations, logp: UnsafeMutablePointer<Float>, entropy: UnsafeMutablePointer<Float>,
                                      coefficients: (UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void) {
        precondition(layout.head >= 0, "policyForwardBackward needs a language-model head")
        forward(a)
        let vocab = config.vocabSize, L = a.logits.p, T = a.targets, n = a.n
        SpindleTrainer.logProbs(parallel, L, targets: T, n: n, vocab: vocab, out: logp)
        let coef = UnsafeMutablePointer<Float>.allocate(capacity: n)
        defer { coef.deallocate() }
        coef.initialize(repeating: 0, count: n)
        coefficients(logp, coef)
        parallel.ranges(n, grain: 8) { rows in
            for r in rows {
                let l = L + r * vocab
                let t = Int(T[r])
                if t < 0 { l.update(repeating: 0, count: vocab); entropy[r] = 0; continue }
                let mx = maxOf(l, vocab)
                var s = 0.0
                for i in 0..<vocab { let x = Double(l[i] - mx); s += x * exp(x) }
                let z = expShiftSum(l, l, vocab, shift: mx)   // l ← exp(l − max)
                entropy[r] = Float(log(Double(z)) - s / Double(z))
                let c = coef[r]
                SpindleTrainer.scale(l, vocab, by: -c / z)    // −c·softmax
                l[t] += c                                      // + c·onehot
            }
        }
        backward(a)
    }
}
