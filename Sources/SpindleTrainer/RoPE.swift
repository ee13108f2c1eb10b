// RoPE.swift: rotary position embeddings in Hugging Face's half-split layout (`rotate_half`): within
// a head, x[i] pairs with x[i + hd/2]. HF checkpoints load as is; llama2.c / Meta files need the row
// permutation of q_proj / k_proj (see LlamaConversion.swift). Positions restart in each packed segment.
import Foundation
import SpindleIO

/// cos/sin tables [maxPos, hd/2], computed the way transformers does (fp32 inv_freq and angles).
// Why @unchecked Sendable: the tables are computed in init and only read afterwards.
public final class RoPETable: @unchecked Sendable {
    let half: Int
    let maxPos: Int
    let cos: FloatBuffer
    let sin: FloatBuffer

    public init(headDim: Int, maxPos: Int, theta: Float) {
        half = headDim / 2
        self.maxPos = maxPos
        cos = FloatBuffer(maxPos * half)
        sin = FloatBuffer(maxPos * half)
        for i in 0..<half {
            // inv_freq = 1 / theta ** (arange(0, hd, 2).float() / hd), in fp32 like HF.
            let invFreq = Float(1) / Float(pow(Double(theta), Double(Float(2 * i) / Float(headDim))))
            for p in 0..<maxPos {
                let angle = Float(p) * invFreq
                cos.p[p * half + i] = Float(Foundation.cos(Double(angle)))
                sin.p[p * half + i] = Float(Foundation.sin(Double(angle)))
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
