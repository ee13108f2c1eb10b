// Sampler.swift: next-token choice from logits — greedy, temperature, nucleus (top-p).
import Foundation
import SpindleIO

/// How tokens are drawn.
public struct SamplingOptions: Sendable {
    /// 0 = greedy (argmax).
    public var temperature: Float = 1.0
    /// Nucleus sampling: the smallest set of tokens whose probability reaches top-p (1 = off).
    public var topP: Float = 0.9
    public var maxNewTokens = 256
    public var seed: UInt64 = 0
    /// Stop a sequence when it samples this id (Llama 2 `</s>` = 2); nil = never.
    public var stopToken: Int32? = 2
    public init() {}
}

/// Samples from `logits` [vocab] (overwritten with probabilities). `index` is scratch [vocab].
/// Returns the token and its log-probability under the untempered model distribution.
func sampleToken(_ logits: UnsafeMutablePointer<Float>, vocab: Int, options o: SamplingOptions,
                 rng: inout SeededRandom, index: UnsafeMutablePointer<Int32>) -> (Int32, Float) {
    // Vectorised max and log-sum-exp: this runs once per decoded token on the critical path.
    let mx = maxOf(logits, vocab)
    var arg = 0
    while arg < vocab - 1 && logits[arg] != mx { arg += 1 }   // the first maximum, as a scan would pick
    let logZ = mx + logf(sumExp(logits, vocab, shift: mx))
    func lp(_ t: Int, _ raw: Float) -> Float { raw - logZ }
    if o.temperature <= 0 { return (Int32(arg), lp(arg, logits[arg])) }
    // Probabilities at temperature T (keep the raw logit of the pick for its log-prob).
    var sum: Float = 0
    for i in 0..<vocab { let e = expf((logits[i] - mx) / o.temperature); index[i] = Int32(i); sum += e; logits[i] = e }
    for i in 0..<vocab { logits[i] /= sum }
    let u = rng.nextFloat()
    var pick = arg
    if o.topP <= 0 || o.topP >= 1 {
        var c: Float = 0
        pick = vocab - 1
        for i in 0..<vocab { c += logits[i]; if u < c { pick = i; break } }
    } else {
        // Candidates above (1 − p)/(V − 1) cannot all be outside the nucleus (llama2.c's cut), then sort.
        let cutoff = (1 - o.topP) / Float(vocab - 1)
        var n = 0
        for i in 0..<vocab where logits[i] >= cutoff { index[n] = Int32(i); n += 1 }
        var cand = UnsafeMutableBufferPointer(start: index, count: n)
        cand.sort { (i: Int32, j: Int32) -> Bool in
            let pi = logits[Int(i)], pj = logits[Int(j)]
            return pi > pj || (pi == pj && i < j)
        }
        var mass: Float = 0, last = n - 1
        for j in 0..<n { mass += logits[Int(index[j])]; if mass > o.topP { last = j; break } }
        let r = u * mass
        var c: Float = 0
        pick = Int(index[last])
        for j in 0...last { c += logits[Int(index[j])]; if r < c { pick = Int(index[j]); break } }
    }
    // The model's (temperature-1) log-prob of the pick, recomputed from its probability at T.
    let pT = logits[pick]
    let raw = o.temperature * (logf(max(pT, 1e-30)) + logf(sum)) + mx   // invert e = exp((l − mx)/T)
    return (Int32(pick), lp(pick, raw))
}
