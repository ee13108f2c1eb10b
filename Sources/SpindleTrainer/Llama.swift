// Llama.swift: the Llama 2 decoder (HF LlamaForCausalLM maths), fp32, forward and hand-written backward.
//
//   x0  = E[tokens]                                                  [n, d]   (n = b·t tokens)
//   per layer:  xn1 = rms(x; g1);  q,k,v = xn1·Wqᵀ, xn1·Wkᵀ, xn1·Wvᵀ    [n, H·hd], [n, KV·hd]
//               q,k = RoPE(q,k);   att = Attn(q, k, v)                  [n, H·hd]
//               h   = x + att·Woᵀ;  xn2 = rms(h; g2)                    [n, d]
//               a,b = xn2·W1ᵀ, xn2·W3ᵀ;  m = silu(a)⊙b                  [n, hidden]
//               x'  = h + m·W2ᵀ                                         [n, d]
//   logits = rms(x_L; gF)·Wheadᵀ                                         [n, vocab]
import Foundation
import SpindleIO

/// A Llama model: configuration, weights and their gradients in flat buffers (see ParameterLayout).
// Why @unchecked Sendable: weights and gradients are FloatBuffers written by kernels in disjoint ranges
// on the threads of one `parallel` loop at a time; the model is driven from one thread.
public final class LlamaModel: @unchecked Sendable {
    public let config: LlamaConfig
    public let layout: ParameterLayout
    let params: FloatBuffer
    let grads: FloatBuffer
    let ropeTables: RoPETables
    /// The threads its kernels run on (a context passed down, not a process-global setting; OpenBLAS
    /// keeps its own count in `BLASBackend`).
    public var parallel = Parallel(threads: 2)
    /// LoRA adapters added to the projections (LoRAAdapters.swift); while set, the base weights are
    /// frozen: backward fills only the adapters' gradients (and the inputs' for the chain rule).
    public var lora: LoRAAdapters?

    /// A model with weights drawn as in llama2.c / GPT-2: N(0, 0.02), residual projections (o_proj,
    /// down_proj) N(0, 0.02/√(2L)), norms 1.
    public convenience init(config: LlamaConfig, seed: UInt64) throws {
        try self.init(config: config, seed: seed, randomWeights: true)
    }

    /// `randomWeights: false` leaves the weights unset for a loader that writes every tensor: drawing
    /// millions of Gaussians only to overwrite them was most of a checkpoint's load time.
    init(config: LlamaConfig, seed: UInt64, randomWeights: Bool) throws {
        try config.validate()
        self.config = config
        layout = ParameterLayout(config)
        params = FloatBuffer(layout.totalCount)
        grads = FloatBuffer(layout.totalCount)
        ropeTables = RoPETables(config)
        guard randomWeights else { return }
        var rng = SeededRandom(seed: seed)
        let resid = 0.02 / Float(2 * config.nLayers).squareRoot()
        for t in layout.tensors {
            let p = params.p + t.offset
            if t.shape.count == 1 {
                p.update(repeating: 1, count: t.count)
            } else {
                let std: Float = t.name.hasSuffix("o_proj.weight") || t.name.hasSuffix("down_proj.weight") ? resid : 0.02
                for i in 0..<t.count { p[i] = rng.nextGaussian() * std }
            }
        }
    }

    /// Weights as a flat array in layout order (tests, checkpoints).
    var parameters: UnsafeMutableBufferPointer<Float> { .init(start: params.p, count: layout.totalCount) }
    /// Gradients, same layout.
    var gradients: UnsafeMutableBufferPointer<Float> { .init(start: grads.p, count: layout.totalCount) }
    public func zeroGradients() { grads.zero() }

    // MARK: forward

    /// Runs the network on the loaded batch up to the final norm (xnF). With `logits`, also the head.
    public func forward(_ a: Activations, logits: Bool = true) {
        let c = config, n = a.n, d = c.dim, qd = c.nHeads * c.headDim, kvd = c.kvDim, hid = c.hiddenDim
        let P = params.p
        let shape = AttentionShape(b: a.b, t: a.t, heads: c.nHeads, kvHeads: c.nKVHeads, hd: c.headDim)
        Profile.time(.embedding) { embeddingForward(P + layout.embed, tokens: a.tokens, a.xs[0].p, n: n, d: d) }
        let rope = ropeTables.table(positions: a.positions, n: n)
        for l in 0..<c.nLayers {
            let w = layout.layers[l], s = a.layers[l], x = a.xs[l].p
            Profile.time(.norm) { rmsNormForward(parallel, x, P + w.attnNorm, s.xn1.p, s.rstd1.p, n: n, d: d, eps: c.normEps) }
            linearForward(s.xn1.p, P + w.wq, s.q.p, n: n, inDim: d, outDim: qd)
            lora?.forward(parallel, layer: l, .q, x: s.xn1.p, y: s.q.p, n: n)
            linearForward(s.xn1.p, P + w.wk, s.k.p, n: n, inDim: d, outDim: kvd)
            lora?.forward(parallel, layer: l, .k, x: s.xn1.p, y: s.k.p, n: n)
            linearForward(s.xn1.p, P + w.wv, s.v.p, n: n, inDim: d, outDim: kvd)
            lora?.forward(parallel, layer: l, .v, x: s.xn1.p, y: s.v.p, n: n)
            Profile.time(.rope) { rope.apply(parallel, s.q.p, positions: a.positions, n: n, heads: c.nHeads) }
            Profile.time(.rope) { rope.apply(parallel, s.k.p, positions: a.positions, n: n, heads: c.nKVHeads) }
            Profile.time(.attention) { attentionForward(parallel, s.q.p, s.k.p, s.v.p, out: s.att.p, probs: s.probs.p, segStart: a.segStart, shape) }
            s.h.p.update(from: x, count: n * d)
            linearForward(s.att.p, P + w.wo, s.h.p, n: n, inDim: qd, outDim: d, accumulate: true)
            lora?.forward(parallel, layer: l, .o, x: s.att.p, y: s.h.p, n: n)
            Profile.time(.norm) { rmsNormForward(parallel, s.h.p, P + w.ffnNorm, s.xn2.p, s.rstd2.p, n: n, d: d, eps: c.normEps) }
            linearForward(s.xn2.p, P + w.w1, s.a.p, n: n, inDim: d, outDim: hid)
            lora?.forward(parallel, layer: l, .gate, x: s.xn2.p, y: s.a.p, n: n)
            linearForward(s.xn2.p, P + w.w3, s.b.p, n: n, inDim: d, outDim: hid)
            lora?.forward(parallel, layer: l, .up, x: s.xn2.p, y: s.b.p, n: n)
            Profile.time(.swiglu) { swigluForward(parallel, s.a.p, s.b.p, s.m.p, count: n * hid) }
            let out = a.xs[l + 1].p
            out.update(from: s.h.p, count: n * d)
            linearForward(s.m.p, P + w.w2, out, n: n, inDim: hid, outDim: d, accumulate: true)
            lora?.forward(parallel, layer: l, .down, x: s.m.p, y: out, n: n)
        }
        Profile.time(.norm) { rmsNormForward(parallel, a.xs[c.nLayers].p, P + layout.finalNorm, a.xnF.p, a.rstdF.p, n: n, d: d, eps: c.normEps) }
        if logits && layout.head >= 0 {
            linearForward(a.xnF.p, P + layout.head, a.logits.p, n: n, inDim: d, outDim: c.vocabSize)
        }
    }

    /// Forward, masked cross-entropy and the full backward pass on the loaded batch. Gradients are
    /// *added* to `gradients` (accumulation) scaled by `lossScale` (1 / targets in the whole
    /// optimiser batch for a mean). Returns the summed loss and the number of targets.
    @discardableResult
    public func forwardBackward(_ a: Activations, lossScale: Float) -> (lossSum: Double, targets: Int) {
        precondition(layout.head >= 0, "forwardBackward needs a language-model head")
        forward(a)
        let c = config
        let loss = Profile.time(.loss) { crossEntropyForwardBackward(parallel, a.logits.p, targets: a.targets, n: a.n, vocab: c.vocabSize,
                                               scale: lossScale, lossPerRow: a.lossRow.p) }
        backward(a)
        return (loss, a.targetCount)
    }

    /// Loss only (evaluation): returns the summed loss and the number of targets.
    public func loss(_ a: Activations) -> (lossSum: Double, targets: Int) {
        forward(a)
        let loss = Profile.time(.loss) { crossEntropyForwardBackward(parallel, a.logits.p, targets: a.targets, n: a.n, vocab: config.vocabSize,
                                               scale: 0, lossPerRow: a.lossRow.p, writeGradient: false) }
        return (loss, a.targetCount)
    }

    // MARK: backward

    /// Backward from dlogits (held in `a.logits`) to every weight.
    func backward(_ a: Activations) {
        let c = config, n = a.n, d = c.dim
        let P = params.p, G = grads.p
        let shape = AttentionShape(b: a.b, t: a.t, heads: c.nHeads, kvHeads: c.nKVHeads, hd: c.headDim)
        // Head and final norm: dX = rms'(x_L) · (dlogits · Whead).
        linearBackward(a.xnF.p, P + layout.head, a.logits.p, dx: a.dXn.p, dw: lora == nil ? G + layout.head : nil,
                       n: n, inDim: d, outDim: c.vocabSize, accumulateDx: false)
        a.dX.zero()
        Profile.time(.norm) { rmsNormBackward(parallel, a.xs[c.nLayers].p, P + layout.finalNorm, a.rstdF.p, a.dXn.p, dx: a.dX.p,
                        dg: G + layout.finalNorm, n: n, d: d) }
        backwardLayers(a, shape: shape)
        guard lora == nil else { return }   // frozen base: no embedding gradient
        Profile.time(.embedding) { embeddingBackward(a.dX.p, tokens: a.tokens, dE: G + layout.embed, n: n, d: d) }
    }

    /// dX holds ∂L/∂x_L on entry and ∂L/∂x_0 on exit.
    func backwardLayers(_ a: Activations, shape: AttentionShape) {
        let c = config, n = a.n, d = c.dim, qd = c.nHeads * c.headDim, kvd = c.kvDim, hid = c.hiddenDim
        let P = params.p, G = grads.p, frozen = lora != nil
        let rope = ropeTables.table(positions: a.positions, n: n)
        for l in stride(from: c.nLayers - 1, through: 0, by: -1) {
            let w = layout.layers[l], s = a.layers[l], x = a.xs[l].p
            // x' = h + m·W2ᵀ
            a.dH.p.update(from: a.dX.p, count: n * d)
            linearBackward(s.m.p, P + w.w2, a.dX.p, dx: a.dM.p, dw: frozen ? nil : G + w.w2, n: n, inDim: hid, outDim: d, accumulateDx: false)
            lora?.backward(layer: l, .down, x: s.m.p, dy: a.dX.p, dx: a.dM.p, n: n)
            Profile.time(.swiglu) { swigluBackward(parallel, s.a.p, s.b.p, a.dM.p, da: a.dA.p, db: a.dB.p, count: n * hid) }
            linearBackward(s.xn2.p, P + w.w1, a.dA.p, dx: a.dXn.p, dw: frozen ? nil : G + w.w1, n: n, inDim: d, outDim: hid, accumulateDx: false)
            lora?.backward(layer: l, .gate, x: s.xn2.p, dy: a.dA.p, dx: a.dXn.p, n: n)
            linearBackward(s.xn2.p, P + w.w3, a.dB.p, dx: a.dXn.p, dw: frozen ? nil : G + w.w3, n: n, inDim: d, outDim: hid, accumulateDx: true)
            lora?.backward(layer: l, .up, x: s.xn2.p, dy: a.dB.p, dx: a.dXn.p, n: n)
            Profile.time(.norm) { rmsNormBackward(parallel, s.h.p, P + w.ffnNorm, s.rstd2.p, a.dXn.p, dx: a.dH.p, dg: G + w.ffnNorm, n: n, d: d) }
            // h = x + att·Woᵀ
            a.dX.p.update(from: a.dH.p, count: n * d)
            linearBackward(s.att.p, P + w.wo, a.dH.p, dx: a.dAtt.p, dw: frozen ? nil : G + w.wo, n: n, inDim: qd, outDim: d, accumulateDx: false)
            lora?.backward(layer: l, .o, x: s.att.p, dy: a.dH.p, dx: a.dAtt.p, n: n)
            Profile.time(.attention) { attentionBackward(parallel, s.q.p, s.k.p, s.v.p, probs: s.probs.p, dOut: a.dAtt.p, segStart: a.segStart,
                              dq: a.dQ.p, dk: a.dK.p, dv: a.dV.p, scratch: a.attScratch.p, shape) }
            Profile.time(.rope) { rope.apply(parallel, a.dQ.p, positions: a.positions, n: n, heads: c.nHeads, inverse: true) }
            Profile.time(.rope) { rope.apply(parallel, a.dK.p, positions: a.positions, n: n, heads: c.nKVHeads, inverse: true) }
            linearBackward(s.xn1.p, P + w.wq, a.dQ.p, dx: a.dXn.p, dw: frozen ? nil : G + w.wq, n: n, inDim: d, outDim: qd, accumulateDx: false)
            lora?.backward(layer: l, .q, x: s.xn1.p, dy: a.dQ.p, dx: a.dXn.p, n: n)
            linearBackward(s.xn1.p, P + w.wk, a.dK.p, dx: a.dXn.p, dw: frozen ? nil : G + w.wk, n: n, inDim: d, outDim: kvd, accumulateDx: true)
            lora?.backward(layer: l, .k, x: s.xn1.p, dy: a.dK.p, dx: a.dXn.p, n: n)
            linearBackward(s.xn1.p, P + w.wv, a.dV.p, dx: a.dXn.p, dw: frozen ? nil : G + w.wv, n: n, inDim: d, outDim: kvd, accumulateDx: true)
            lora?.backward(layer: l, .v, x: s.xn1.p, dy: a.dV.p, dx: a.dXn.p, n: n)
            Profile.time(.norm) { rmsNormBackward(parallel, x, P + w.attnNorm, s.rstd1.p, a.dXn.p, dx: a.dX.p, dg: G + w.attnNorm, n: n, d: d) }
        }
    }

    /// Per-token log p(t[i+1] | t[...i]) for the loaded batch, into `out` [n] (0 where no target).
    func logProbs(_ a: Activations, into out: UnsafeMutablePointer<Float>) {
        forward(a)
        SpindleTrainer.logProbs(parallel, a.logits.p, targets: a.targets, n: a.n, vocab: config.vocabSize, out: out)
    }
}
