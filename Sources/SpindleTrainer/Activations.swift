// Activations.swift: every buffer one training step needs for a batch of b rows × t tokens, allocated
// once. The step loop allocates nothing.

/// One layer's saved forward values (n = b·t tokens).
final class LayerActivations {
    let rstd1, xn1, q, k, v, probs, att, h, rstd2, xn2, a, b, m: FloatBuffer
    init(_ c: LlamaConfig, b: Int, t: Int) {
        let n = b * t, d = c.dim, qd = c.nHeads * c.headDim, kvd = c.kvDim, hid = c.hiddenDim
        rstd1 = FloatBuffer(n); xn1 = FloatBuffer(n * d)               // [n], [n, d]
        q = FloatBuffer(n * qd); k = FloatBuffer(n * kvd); v = FloatBuffer(n * kvd)
        probs = FloatBuffer(b * c.nHeads * t * t)                       // [b, heads, t, t]
        att = FloatBuffer(n * qd); h = FloatBuffer(n * d)              // attention out, residual after it
        rstd2 = FloatBuffer(n); xn2 = FloatBuffer(n * d)
        a = FloatBuffer(n * hid); self.b = FloatBuffer(n * hid); m = FloatBuffer(n * hid)  // gate, up, silu(a)·b
    }
}

/// Bytes of fp32 activations and scratch `Activations(config:b:t:)` allocates.
public func activationBytes(_ c: LlamaConfig, b: Int, t: Int) -> Int {
    let n = b * t, d = c.dim, qd = c.nHeads * c.headDim, kvd = c.kvDim, hid = c.hiddenDim
    let perLayer = 2 * n + 3 * n * d + 2 * n * qd + 2 * n * kvd + b * c.nHeads * t * t + 3 * n * hid
    let rest = (c.nLayers + 1) * n * d + 2 * n + n * d + n * (c.scoreHead ? 1 : c.vocabSize)
        + 3 * n * d + 3 * n * hid + 2 * n * qd + 2 * n * kvd + b * c.nKVHeads * t * t
    return 4 * (c.nLayers * perLayer + rest)
}

/// Inputs, activations and gradient scratch for a fixed (b, t).
// Why @unchecked Sendable: buffers written by parallel kernels in disjoint ranges, joined before reuse.
public final class Activations: @unchecked Sendable {
    public let b: Int, t: Int
    var n: Int { b * t }
    let tokens, targets, positions, segStart: UnsafeMutablePointer<Int32>   // [n]
    let xs: [FloatBuffer]              // residual stream entering layer l; xs[L] is the last output
    let layers: [LayerActivations]
    let rstdF, xnF, logits, lossRow: FloatBuffer  // final norm, logits [n, vocab], per-token loss
    let dX, dH, dXn, dM, dA, dB, dQ, dK, dV, dAtt, attScratch: FloatBuffer
    /// Valid targets in the loaded batch.
    public private(set) var targetCount = 0

    public init(config c: LlamaConfig, b: Int, t: Int) {
        self.b = b; self.t = t
        let n = b * t, d = c.dim, qd = c.nHeads * c.headDim, kvd = c.kvDim, hid = c.hiddenDim
        func ints() -> UnsafeMutablePointer<Int32> {
            let p = UnsafeMutablePointer<Int32>.allocate(capacity: n); p.initialize(repeating: 0, count: n); return p
        }
        tokens = ints(); targets = ints(); positions = ints(); segStart = ints()
        xs = (0...c.nLayers).map { _ in FloatBuffer(n * d) }
        layers = (0..<c.nLayers).map { _ in LayerActivations(c, b: b, t: t) }
        rstdF = FloatBuffer(n); xnF = FloatBuffer(n * d)
        logits = FloatBuffer(n * (c.scoreHead ? 1 : c.vocabSize)); lossRow = FloatBuffer(n)
        dX = FloatBuffer(n * d); dH = FloatBuffer(n * d); dXn = FloatBuffer(n * d)
        dM = FloatBuffer(n * hid); dA = FloatBuffer(n * hid); dB = FloatBuffer(n * hid)
        dQ = FloatBuffer(n * qd); dAtt = FloatBuffer(n * qd); dK = FloatBuffer(n * kvd); dV = FloatBuffer(n * kvd)
        attScratch = FloatBuffer(b * c.nKVHeads * t * t)
    }
    deinit { tokens.deallocate(); targets.deallocate(); positions.deallocate(); segStart.deallocate() }

    /// Loads a batch: tokens and segment ids [b·t]; the loss mask (1 = this token is a training target)
    /// is optional (pretraining: every token). Targets: token i+1 when it is in the same segment and
    /// its mask is set, else −1. Positions restart at 0 in each segment.
    func load(tokens tok: UnsafePointer<Int32>, segments seg: UnsafePointer<Int32>, lossMask: UnsafePointer<UInt8>?) {
        var count = 0
        for r in 0..<b {
            var start = 0
            for i in 0..<t {
                let idx = r * t + i
                if i > 0 && seg[idx] != seg[idx - 1] { start = i }
                tokens[idx] = tok[idx]
                segStart[idx] = Int32(start)
                positions[idx] = Int32(i - start)
                let ok = i + 1 < t && seg[idx + 1] == seg[idx] && (lossMask.map { $0[idx + 1] != 0 } ?? true)
                targets[idx] = ok ? tok[idx + 1] : -1
                if ok { count += 1 }
            }
        }
        targetCount = count
    }

    /// Convenience for tests and small callers.
    public func load(tokens: [Int32], segments: [Int32]? = nil, lossMask: [UInt8]? = nil) {
        precondition(tokens.count == n)
        let seg = segments ?? [Int32](repeating: 0, count: n)
        tokens.withUnsafeBufferPointer { tp in
            seg.withUnsafeBufferPointer { sp in
                if let lossMask {
                    lossMask.withUnsafeBufferPointer { load(tokens: tp.baseAddress!, segments: sp.baseAddress!, lossMask: $0.baseAddress!) }
                } else {
                    load(tokens: tp.baseAddress!, segments: sp.baseAddress!, lossMask: nil)
                }
            }
        }
    }
}
