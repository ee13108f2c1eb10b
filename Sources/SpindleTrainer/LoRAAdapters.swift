// LoRAAdapters.swift: the adapter weights of a model and their forward and backward passes, all
// products through sgemm. For one adapted projection y = W x (x [n, in], y [n, out]):
//
//   forward   xd = dropout(x) (mask m ∈ {0, 1/(1−p)}, training only);  u = xd · Aᵀ  [n, r];  y += s · u · Bᵀ
//   backward  dB += s · dyᵀ · u;   du = s · dy · B  [n, r];   dA += duᵀ · xd;   dx += (du · A) ⊙ m
//
// A and B of every (layer, target) live in one flat buffer (so AdamW, clipping and checkpoints are
// single loops, as for the base model); the base weights get no gradient while adapters train. A reward
// model's adapters end with its score head [dim], trained whole beside them (PEFT's modules_to_save).
import Foundation
import SpindleIO

/// Where one adapter's A and B sit in the flat buffer.
public struct LoRASlot: Sendable {
    public let layer: Int
    public let target: LoRATarget
    public let inDim, outDim: Int
    public let a: Int          // offset of A [r, in]
    public let b: Int          // offset of B [out, r]
    /// PEFT's tensor name prefix: base_model.model.model.layers.{i}.self_attn.q_proj
    public var peftPrefix: String { "base_model.model.model.layers.\(layer).\(target.modulePath)" }
}

// Why @unchecked Sendable: like LlamaModel, buffers written by kernels on one training thread (and
// disjoint ranges of its parallel loops).
public final class LoRAAdapters: @unchecked Sendable {
    public let settings: LoRASettings
    public let slots: [LoRASlot]
    /// slots index by layer * 7 + target, or -1.
    let slotIndex: [Int]
    public let count: Int
    /// Where the score head sits in the flat buffer (the last `dim` numbers), or -1 (a language model's).
    public let scoreOffset: Int
    /// A reward model's pooling (its adapter_config.json's task_type is SEQ_CLS), nil for a language model.
    public let scorePooling: ScorePooling?
    let params: FloatBuffer
    let grads: FloatBuffer
    /// Dropout on while training (torch's model.train()); evaluation and scoring run without it.
    public var training = false
    /// Seeds the dropout masks of the next forward pass (the trainer sets it per micro-batch).
    public var dropoutSeed: UInt64 = 0
    /// The base checkpoint these adapters were trained on (adapter_config.json's base_model_name_or_path).
    public var baseModel: String?
    /// The rotary scaling put on the base for these adapters (adapter_config.json's spindle_rope_scaling).
    public var baseRoPEScaling: RoPEScaling?
    private var scratch: Scratch?

    /// Adapters for every layer of `config` on `settings.targets`: A Kaiming-uniform (PEFT's
    /// `kaiming_uniform_(a=√5)`, i.e. U(−1/√in, 1/√in)) drawn from `seed`, B zero, so the adapted
    /// model starts equal to the base. With `scorePooling`, a zero score head [dim] follows (the caller
    /// copies the reward model's in).
    public init(config: LlamaConfig, settings: LoRASettings, seed: UInt64, scorePooling: ScorePooling? = nil) throws {
        try settings.validate()
        self.settings = settings
        self.scorePooling = scorePooling
        var slots: [LoRASlot] = [], index = [Int](repeating: -1, count: config.nLayers * 7), off = 0
        let r = settings.rank
        for l in 0..<config.nLayers {
            for t in settings.targets {
                let (i, o) = t.shape(config)
                index[l * 7 + t.rawValue] = slots.count
                slots.append(LoRASlot(layer: l, target: t, inDim: i, outDim: o, a: off, b: off + r * i))
                off += r * i + o * r
            }
        }
        scoreOffset = scorePooling == nil ? -1 : off
        if scorePooling != nil { off += config.dim }
        self.slots = slots; slotIndex = index; count = off
        params = FloatBuffer(off); grads = FloatBuffer(off)
        var rng = SeededRandom(seed: seed, stream: "lora-init")
        for s in slots {
            let bound = 1 / Float(s.inDim).squareRoot(), p = params.p + s.a
            for j in 0..<(r * s.inDim) { p[j] = (2 * rng.nextFloat() - 1) * bound }
        }
    }

    var parameters: UnsafeMutableBufferPointer<Float> { .init(start: params.p, count: count) }
    var gradients: UnsafeMutableBufferPointer<Float> { .init(start: grads.p, count: count) }
    public func zeroGradients() { grads.zero() }
    /// Every adapter weight decays (transformers' Trainer decays all but biases and norms).
    var ranges: [Range<Int>] { [0..<count] }

    func slot(_ layer: Int, _ t: LoRATarget) -> LoRASlot? {
        let i = slotIndex[layer * 7 + t.rawValue]
        return i < 0 ? nil : slots[i]
    }

    /// Per-slot saved values for a batch of n tokens: u [n, r], and with dropout xd and the mask [n, in].
    private final class Scratch {
        let n: Int
        let u: [FloatBuffer], xd: [FloatBuffer?], mask: [FloatBuffer?]
        let du: FloatBuffer, dxd: FloatBuffer?
        init(n: Int, slots: [LoRASlot], rank: Int, dropout: Bool) {
            self.n = n
            u = slots.map { _ in FloatBuffer(n * rank) }
            xd = slots.map { dropout ? FloatBuffer(n * $0.inDim) : nil }
            mask = slots.map { dropout ? FloatBuffer(n * $0.inDim) : nil }
            du = FloatBuffer(n * rank)
            dxd = dropout ? FloatBuffer(n * (slots.map(\.inDim).max() ?? 0)) : nil
        }
    }

    private func scratch(n: Int) -> Scratch {
        if let s = scratch, s.n == n { return s }
        let s = Scratch(n: n, slots: slots, rank: settings.rank, dropout: settings.dropout > 0)
        scratch = s
        return s
    }

    /// Tokens the saved values are sized for, and one slot's last dropout mask (tests).
    var currentScratchTokens: Int { scratch?.n ?? 0 }
    func maskPointer(slot: Int) -> FPtr? { scratch?.mask[slot]?.p }

    /// y += s · B A dropout(x) for the adapter on (layer, target), if there is one.
    func forward(_ par: Parallel, layer: Int, _ t: LoRATarget, x: CFPtr, y: FPtr, n: Int) {
        let i = slotIndex[layer * 7 + t.rawValue]
        guard i >= 0 else { return }
        let sl = slots[i], sc = scratch(n: n), r = settings.rank, P = params.p
        var input = x
        if training && settings.dropout > 0, let xd = sc.xd[i], let mask = sc.mask[i] {
            dropoutForward(par, x: x, xd: xd.p, mask: mask.p, n: n, d: sl.inDim, key: UInt64(i))
            input = CFPtr(xd.p)
        } else if let xd = sc.xd[i] {
            xd.p.update(from: x, count: n * sl.inDim)          // backward reads xd: no dropout is mask 1
            sc.mask[i]!.p.update(repeating: 1, count: n * sl.inDim)
        }
        let blas = BLASBackend.shared
        Profile.time(.matmul) {
            blas.sgemm(transA: false, transB: true, m: n, n: r, k: sl.inDim, a: input, lda: sl.inDim, b: P + sl.a, ldb: sl.inDim,
                       beta: 0, c: sc.u[i].p, ldc: r)
            blas.sgemm(transA: false, transB: true, m: n, n: sl.outDim, k: r, alpha: settings.scaling, a: sc.u[i].p, lda: r,
                       b: P + sl.b, ldb: r, beta: 1, c: y, ldc: sl.outDim)
        }
    }

    /// Adds dA, dB to the adapter gradients and (du·A)⊙mask to dx, from dy [n, out]; needs `forward`'s saved values.
    func backward(layer: Int, _ t: LoRATarget, x: CFPtr, dy: CFPtr, dx: FPtr, n: Int) {
        let i = slotIndex[layer * 7 + t.rawValue]
        guard i >= 0, let sc = scratch, sc.n == n else { return }
        let sl = slots[i], r = settings.rank, P = params.p, G = grads.p, s = settings.scaling
        let input = sc.xd[i].map { CFPtr($0.p) } ?? x
        let blas = BLASBackend.shared
        Profile.time(.matmul) {
            blas.sgemm(transA: true, transB: false, m: sl.outDim, n: r, k: n, alpha: s, a: dy, lda: sl.outDim, b: sc.u[i].p, ldb: r,
                       beta: 1, c: G + sl.b, ldc: r)
            blas.sgemm(transA: false, transB: false, m: n, n: r, k: sl.outDim, alpha: s, a: dy, lda: sl.outDim, b: P + sl.b, ldb: r,
                       beta: 0, c: sc.du.p, ldc: r)
            blas.sgemm(transA: true, transB: false, m: r, n: sl.inDim, k: n, a: sc.du.p, lda: r, b: input, ldb: sl.inDim,
                       beta: 1, c: G + sl.a, ldc: sl.inDim)
            if let mask = sc.mask[i], let dxd = sc.dxd {
                blas.sgemm(transA: false, transB: false, m: n, n: sl.inDim, k: r, a: sc.du.p, lda: r, b: P + sl.a, ldb: sl.inDim,
                           beta: 0, c: dxd.p, ldc: sl.inDim)
                multiplyAdd(dxd.p, mask.p, into: dx, count: n * sl.inDim)
            } else {
                blas.sgemm(transA: false, transB: false, m: n, n: sl.inDim, k: r, a: sc.du.p, lda: r, b: P + sl.a, ldb: sl.inDim,
                           beta: 1, c: dx, ldc: sl.inDim)
            }
        }
    }

    /// Inverted dropout: mask_j = 1/(1−p) with probability 1−p, else 0; xd = x ⊙ mask. Each row draws from
    /// its own stream (dropoutSeed, slot, row), so masks do not depend on the thread count.
    private func dropoutForward(_ par: Parallel, x: CFPtr, xd: FPtr, mask: FPtr, n: Int, d: Int, key: UInt64) {
        let p = settings.dropout, keep = 1 / (1 - p), seed = dropoutSeed
        par.ranges(n, grain: 16) { rows in
            for row in rows {
                var mix = SeededRandom(seed: seed ^ (key &* 0x9E37_79B9_7F4A_7C15) ^ (UInt64(row) &* 0xBF58_476D_1CE4_E5B9))
                var rng = SeededRandom(seed: mix.next())
                let xr = x + row * d, xdr = xd + row * d, mr = mask + row * d
                for j in 0..<d {
                    let m: Float = rng.nextFloat() < p ? 0 : keep
                    mr[j] = m; xdr[j] = xr[j] * m
                }
            }
        }
    }
}

/// y[i] += a[i] · b[i], 8 lanes at a time.
@inline(__always)
func multiplyAdd(_ a: CFPtr, _ b: CFPtr, into y: FPtr, count n: Int) {
    var i = 0
    let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b), ry = UnsafeMutableRawPointer(y)
    while i + 8 <= n {
        let v = ry.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            + ra.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self) * rb.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
        ry.storeBytes(of: v, toByteOffset: i * 4, as: SIMD8<Float>.self)
        i += 8
    }
    while i < n { y[i] += a[i] * b[i]; i += 1 }
}
