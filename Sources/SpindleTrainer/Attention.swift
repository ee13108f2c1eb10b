// Attention.swift: grouped-query causal self-attention restricted to each packed segment.
// Query head h reads kv head h / (nHeads / nKVHeads) (HF repeat_kv: kv0,kv0,kv1,kv1,...). Query t of
// a row attends to keys segStart[t]...t — causal, and never across a document boundary.
import Foundation

/// Shapes of one attention call: rows of `t` tokens, `b` rows.
struct AttentionShape {
    let b, t, heads, kvHeads, hd: Int
    var rep: Int { heads / kvHeads }
    var scale: Float { 1 / Float(hd).squareRoot() }
}

/// q [b·t, heads, hd], k, v [b·t, kvHeads, hd] (q, k already rotated) → out [b·t, heads, hd];
/// probs [b, heads, t, t] keeps the softmax for the backward pass (only columns segStart...i are valid).
/// segStart [b·t]: index within its row of the first token of the token's segment.
func attentionForward(_ q: CFPtr, _ k: CFPtr, _ v: CFPtr, out: FPtr, probs: FPtr, segStart: UnsafePointer<Int32>,
                      _ s: AttentionShape) {
    let (T, H, KV, hd) = (s.t, s.heads, s.kvHeads, s.hd)
    let scale = s.scale
    parallelFor(s.b * H) { task in
        let b = task / H, h = task % H, kvh = h / s.rep
        for i in 0..<T {
            let row = b * T + i
            let qi = q + (row * H + h) * hd
            let p = probs + ((b * H + h) * T + i) * T
            let j0 = Int(segStart[row])
            var mx = -Float.infinity
            for j in j0...i {
                let sc = dot(qi, k + ((b * T + j) * KV + kvh) * hd, hd) * scale
                p[j] = sc
                mx = max(mx, sc)
            }
            var sum: Float = 0
            for j in j0...i { let e = expf(p[j] - mx); p[j] = e; sum += e }
            let inv = 1 / sum
            let o = out + (row * H + h) * hd
            o.update(repeating: 0, count: hd)
            for j in j0...i {
                p[j] *= inv
                axpy(p[j], v + ((b * T + j) * KV + kvh) * hd, o, hd)
            }
        }
    }
}

/// Given dOut [b·t, heads, hd], writes dq [b·t, heads, hd] and dk, dv [b·t, kvHeads, hd] (overwritten).
/// One task per (row, kv head) owns its dk/dv slices, so no two threads write the same value.
/// scratch: [b · kvHeads, t] floats.
func attentionBackward(_ q: CFPtr, _ k: CFPtr, _ v: CFPtr, probs: CFPtr, dOut: CFPtr, segStart: UnsafePointer<Int32>,
                       dq: FPtr, dk: FPtr, dv: FPtr, scratch: FPtr, _ s: AttentionShape) {
    let (T, H, KV, hd) = (s.t, s.heads, s.kvHeads, s.hd)
    let scale = s.scale
    parallelFor(s.b * KV) { task in
        let b = task / KV, kvh = task % KV
        let dp = scratch + task * T
        for j in 0..<T {
            (dk + ((b * T + j) * KV + kvh) * hd).update(repeating: 0, count: hd)
            (dv + ((b * T + j) * KV + kvh) * hd).update(repeating: 0, count: hd)
        }
        for h in (kvh * s.rep)..<((kvh + 1) * s.rep) {
            for i in 0..<T {
                let row = b * T + i
                let p = probs + ((b * H + h) * T + i) * T
                let doi = dOut + (row * H + h) * hd
                let qi = q + (row * H + h) * hd
                let dqi = dq + (row * H + h) * hd
                let j0 = Int(segStart[row])
                var acc: Float = 0
                for j in j0...i {
                    let vj = v + ((b * T + j) * KV + kvh) * hd
                    dp[j] = dot(doi, vj, hd)
                    acc += p[j] * dp[j]
                    axpy(p[j], doi, dv + ((b * T + j) * KV + kvh) * hd, hd)
                }
                dqi.update(repeating: 0, count: hd)
                for j in j0...i {
                    let ds = p[j] * (dp[j] - acc) * scale
                    axpy(ds, k + ((b * T + j) * KV + kvh) * hd, dqi, hd)
                    axpy(ds, qi, dk + ((b * T + j) * KV + kvh) * hd, hd)
                }
            }
        }
    }
}
