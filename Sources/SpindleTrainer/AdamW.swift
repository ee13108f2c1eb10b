// AdamW.swift: Adam with decoupled weight decay (Loshchilov & Hutter 2019), torch.optim.AdamW's update:
//   p ← p·(1 − lr·wd)   [decaying tensors only]
//   m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²
//   p ← p − (lr / (1−β1ᵗ)) · m / (√v / √(1−β2ᵗ) + eps)
// Decay applies to the projection matrices and an untied output head; not to RMSNorm gains nor to
// the token embedding (nor to a head tied to it) — nanoGPT / LLM Foundry practice (ParameterTensor.decays).
import Foundation
import SpindleIO

/// AdamW hyper-parameters (Llama 2 pretraining defaults).
public struct AdamWSettings: Equatable, Sendable {
    public var beta1: Float = 0.9
    public var beta2: Float = 0.95
    public var eps: Float = 1e-5
    public var weightDecay: Float = 0.1
    public init() {}
}

/// Optimiser state: first and second moments in the parameter layout, and the step count.
// Why @unchecked Sendable: only the training thread calls `update`; its parallel loop writes disjoint ranges.
public final class AdamW: @unchecked Sendable {
    public let settings: AdamWSettings
    let m: FloatBuffer
    let v: FloatBuffer
    /// Updates taken so far (the bias-correction exponent).
    public internal(set) var step: Int = 0
    let decayRanges: [Range<Int>]
    let plainRanges: [Range<Int>]

    /// The threads the update runs on.
    public let parallel: Parallel

    public convenience init(layout: ParameterLayout, settings: AdamWSettings = AdamWSettings(), parallel: Parallel) {
        self.init(count: layout.totalCount, decaying: layout.tensors.filter(\.decays).map { $0.offset..<($0.offset + $0.count) },
                  plain: layout.tensors.filter { !$0.decays }.map { $0.offset..<($0.offset + $0.count) },
                  settings: settings, parallel: parallel)
    }

    /// Moments for `count` parameters of one flat buffer (LoRA adapters: only theirs).
    init(count: Int, decaying: [Range<Int>], plain: [Range<Int>], settings: AdamWSettings, parallel: Parallel) {
        self.settings = settings
        self.parallel = parallel
        m = FloatBuffer(count)
        v = FloatBuffer(count)
        decayRanges = decaying
        plainRanges = plain
    }

    var firstMoment: UnsafeMutableBufferPointer<Float> { .init(start: m.p, count: m.count) }
    var secondMoment: UnsafeMutableBufferPointer<Float> { .init(start: v.p, count: v.count) }

    /// One update of `params` with `grads` at learning rate `lr`.
    func update(params: UnsafeMutablePointer<Float>, grads: UnsafePointer<Float>, lr: Float) {
        step += 1
        let s = settings
        let bc1 = 1 - Float(pow(Double(s.beta1), Double(step)))
        let bc2 = 1 - Float(pow(Double(s.beta2), Double(step)))
        let stepSize = lr / bc1, bc2Sqrt = bc2.squareRoot()
        let mp = m.p, vp = v.p
        func apply(_ ranges: [Range<Int>], decay: Float) {
            for r in ranges {
                parallel.ranges(r.count, grain: 8192) { sub in
                    for j in sub {
                        let i = r.lowerBound + j
                        let g = grads[i]
                        mp[i] = s.beta1 * mp[i] + (1 - s.beta1) * g
                        vp[i] = s.beta2 * vp[i] + (1 - s.beta2) * g * g
                        params[i] = params[i] * decay - stepSize * mp[i] / (vp[i].squareRoot() / bc2Sqrt + s.eps)
                    }
                }
            }
        }
        apply(decayRanges, decay: 1 - lr * s.weightDecay)
        apply(plainRanges, decay: 1)
    }
}

/// Stops a run whose loss or gradient norm is NaN or infinite, before the optimiser writes it into the
/// weights (so no non-finite checkpoint is ever saved).
func checkFinite(loss: Double, gradNorm: Double, step: Int) throws {
    guard loss.isFinite, gradNorm.isFinite else {
        throw TrainerError.diverged(step: step, message: "loss \(loss), gradient norm \(gradNorm)")
    }
}

/// Global L2 norm of `grads` (summed in Double, fixed order) and, when above `maxNorm`, scales them
/// down to it (torch.nn.utils.clip_grad_norm_, factor maxNorm / (norm + 1e-6)). Returns the norm before clipping.
@discardableResult
func clipGradientNorm(_ grads: UnsafeMutablePointer<Float>, count: Int, maxNorm: Float, parallel: Parallel) -> Double {
    let chunks = 64   // fixed: the sum's order does not depend on the thread count
    let norm = withUnsafeTemporaryAllocation(of: Double.self, capacity: chunks) { partial -> Double in
        let base = partial.baseAddress!
        parallel.forEach(chunks) { c in
            var s = 0.0
            for i in (c * count / chunks)..<((c + 1) * count / chunks) { s += Double(grads[i]) * Double(grads[i]) }
            base[c] = s
        }
        var total = 0.0
        for c in 0..<chunks { total += base[c] }
        return total.squareRoot()
    }
    if maxNorm > 0 && norm > Double(maxNorm) {
        let f = Float(Double(maxNorm) / (norm + 1e-6))
        parallel.ranges(count, grain: 8192) { r in for i in r { grads[i] *= f } }
    }
    return norm
}
