// RoPE.swift: rotary position embeddings in Hugging Face's half-split layout (`rotate_half`): within
// a head, x[i] pairs with x[i + hd/2]. HF checkpoints load as is; llama2.c / Meta files need the row
// permutation of q_proj / k_proj (see LlamaConversion.swift). Positions restart in each packed segment.
import Foundation
import SpindleIO

/// cos/sin tables [maxPos, hd/2], computed the way transformers does (fp32 inv_freq and angles), both
/// multiplied by `mscale` (yarn's attention factor; 1 otherwise).
// Why @unchecked Sendable: the tables are computed in init and only read afterwards.
public final class RoPETable: @unchecked Sendable {
    let half: Int
    let maxPos: Int
    let cos: FloatBuffer
    let sin: FloatBuffer

    public convenience init(headDim: Int, maxPos: Int, theta: Float) {
        self.init(invFreq: RoPEScaling.defaultInvFreq(headDim: headDim, theta: theta), maxPos: maxPos, mscale: 1)
    }

    init(invFreq: [Float], maxPos: Int, mscale: Float) {
        half = invFreq.count
        self.maxPos = maxPos
        cos = FloatBuffer(maxPos * half)
        sin = FloatBuffer(maxPos * half)
        for (i, f) in invFreq.enumerated() {
            for p in 0..<maxPos {
                let angle = Float(p) * f
                cos.p[p * half + i] = Float(Foundation.cos(Double(angle))) * mscale
                sin.p[p * half + i] = Float(Foundation.sin(Double(angle))) * mscale
            }
        }
    }

    /// In place on x [n, heads, hd]: x' = x ⊙ cos + rotate_half(x) ⊙ sin, at `positions[n]`.
    /// `inverse` applies the transpose rotation (the backward pass of the forward rotation).
    func apply(_ par: Parallel, _ x: FPtr, positions: UnsafePointer<Int32>, n: Int, heads: Int, inverse: Bool = false) {
        let half = self.half, hd = 2 * half
        let sgn: Float = inverse ? -1 : 1
        par.ranges(n, grain: 32) { rows in
            for r in rows {
                let pos = Int(positions[r])
                let c = cos.p + pos * half, s = sin.p + pos * half
                for h in 0..<heads {
                    let v = x + (r * heads + h) * hd
                    for i in 0..<half {
                        let a = v[i], b = v[i + half]
                        let si = sgn * s[i]
                        v[i] = a * c[i] - b * si
                        v[i + half] = b * c[i] + a * si
                    }
                }
            }
        }
    }
}

/// The tables a model's forward passes use: one for the default rotary and the static scalings (grown
/// when a pass reaches past it), and for dynamic NTK one per sequence length past the trained length
/// (transformers recomputes the frequencies from max(position_ids) + 1 of each forward; so does this).
// Why @unchecked Sendable: `lock` guards the cached tables; a table handed out is never mutated.
final class RoPETables: @unchecked Sendable {
    let headDim: Int
    let theta: Float
    let scaling: RoPEScaling?
    private var fixed: RoPETable
    private var stretched: RoPETable?
    private let lock = NSLock()

    init(_ c: LlamaConfig) {
        headDim = c.headDim; theta = c.ropeTheta; scaling = c.ropeScaling
        // dynamic runs the default rotary up to its trained length
        fixed = RoPETables.make(c.headDim, c.ropeTheta, c.ropeScaling?.kind == .dynamic ? nil : c.ropeScaling, length: c.maxSeqLen)
    }

    static func make(_ hd: Int, _ theta: Float, _ s: RoPEScaling?, length: Int) -> RoPETable {
        guard let s else { return RoPETable(headDim: hd, maxPos: length, theta: theta) }
        let (inv, mscale) = s.frequencies(headDim: hd, theta: theta, seqLen: length)
        return RoPETable(invFreq: inv, maxPos: length, mscale: mscale)
    }

    /// The table for a pass whose longest sequence is `length` positions.
    func table(length: Int) -> RoPETable {
        lock.lock(); defer { lock.unlock() }
        if let s = scaling, s.kind == .dynamic, length > (s.originalMaxPositions ?? length) {
            if let t = stretched, t.maxPos == length { return t }
            let t = RoPETables.make(headDim, theta, s, length: length)
            stretched = t
            return t
        }
        if length > fixed.maxPos {
            // Static frequencies: a longer table only adds rows. (Dynamic at or below its trained length is the default rotary.)
            fixed = RoPETables.make(headDim, theta, scaling?.kind == .dynamic ? nil : scaling, length: length)
        }
        return fixed
    }

    /// The table for a pass over `positions[n]` (max position + 1).
    func table(positions: UnsafePointer<Int32>, n: Int) -> RoPETable {
        var m: Int32 = 0
        for i in 0..<n where positions[i] > m { m = positions[i] }
        return table(length: Int(m) + 1)
    }
}
