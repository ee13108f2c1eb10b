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

/// Samples from `logits` [vocab] (overwritten with unnormalised probabilities). `index` is scratch [vocab].
/// Returns the token and its log-probability under the untempered model distribution.
///
/// Every pass over the vocabulary is vectorised (max, exp-and-sum, the cumulative scan by blocks of 64):
/// at K = 16 samples per prompt on the stories15M shape the old scalar loops (libm `expf` per logit, a
/// normalising pass, a scalar cumulative scan) took 14% of sampling time; `sampleTokenNaive` in the
/// tests is the scalar twin this must agree with.
func sampleToken(_ logits: UnsafeMutablePointer<Float>, vocab: Int, options o: SamplingOptions,
                 rng: inout SeededRandom, index: UnsafeMutablePointer<Int32>) -> (Int32, Float) {
    let mx = maxOf(logits, vocab)
    if o.temperature <= 0 {
        var arg = 0
        while arg < vocab - 1 && logits[arg] != mx { arg += 1 }   // the first maximum, as a scan would pick
        return (Int32(arg), logits[arg] - mx - logf(sumExp(logits, vocab, shift: mx)))
    }
    // e_i = exp((l_i − mx) / T), unnormalised; log Z of the untempered distribution on the side.
    var logZ: Float = 0
    if o.temperature != 1 {
        logZ = mx + logf(sumExp(logits, vocab, shift: mx))
        scale(logits, vocab, by: 1 / o.temperature)
    }
    let sum = expShiftSum(logits, logits, vocab, shift: o.temperature == 1 ? mx : mx / o.temperature)
    if o.temperature == 1 { logZ = mx + logf(sum) }
    let u = rng.nextFloat()
    let pick: Int
    if o.topP <= 0 || o.topP >= 1 {
        pick = cumulativeSearch(logits, vocab, u * sum)
    } else {
        pick = nucleusPick(logits, vocab, total: sum, topP: o.topP, u: u, index: index)
    }
    // The model's (temperature-1) log-prob of the pick: invert e = exp((l − mx)/T) for its raw logit.
    let raw = o.temperature * logf(max(logits[pick], 1e-30)) + mx
    return (Int32(pick), raw - logZ)
}

/// The first i with e[0] + … + e[i] > r: whole blocks of 64 summed as vectors and skipped, then the
/// block holding r scanned one by one; the last positive entry when rounding leaves r at or beyond the total.
@inline(__always)
private func cumulativeSearch(_ e: UnsafePointer<Float>, _ n: Int, _ r: Float) -> Int {
    var c: Float = 0, i = 0
    let raw = UnsafeRawPointer(e)
    @inline(__always) func v(_ j: Int) -> SIMD8<Float> { raw.loadUnaligned(fromByteOffset: 4 * (i + 8 * j), as: SIMD8<Float>.self) }
    while i + 64 <= n {
        let a = ((v(0) + v(1)) + (v(2) + v(3))) + ((v(4) + v(5)) + (v(6) + v(7)))
        let s = (a.lowHalf + a.highHalf).sum()
        if c + s > r { break }
        c += s; i += 64
    }
    while i < n { c += e[i]; if r < c { return i }; i += 1 }
    var last = n - 1
    while last > 0 && e[last] <= 0 { last -= 1 }
    return last
}

/// Nucleus (top-p) draw over unnormalised e summing to `total`: entries above (1 − p)/(V − 1) of the
/// total cannot all be outside the nucleus (llama2.c's cut); those are sorted, the smallest prefix whose
/// mass exceeds p·total kept, and one drawn from it.
private func nucleusPick(_ e: UnsafePointer<Float>, _ vocab: Int, total: Float, topP: Float, u: Float,
                         index: UnsafeMutablePointer<Int32>) -> Int {
    let cutoff = (1 - topP) / Float(vocab - 1) * total
    var n = 0
    for i in 0..<vocab where e[i] >= cutoff { index[n] = Int32(i); n += 1 }
    var cand = UnsafeMutableBufferPointer(start: index, count: n)
    cand.sort { (i: Int32, j: Int32) -> Bool in
        let pi = e[Int(i)], pj = e[Int(j)]
        return pi > pj || (pi == pj && i < j)
    }
    var mass: Float = 0, last = n - 1
    for j in 0..<n { mass += e[Int(index[j])]; if mass > topP * total { last = j; break } }
    let r = u * mass
    var c: Float = 0
    for j in 0...last { c += e[Int(index[j])]; if r < c { return Int(index[j]) } }
    return Int(index[last])
}
