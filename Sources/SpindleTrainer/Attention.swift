// Attention.swift: grouped-query causal self-attention restricted to each packed segment.
// Query head h reads kv head h / (nHeads / nKVHeads) (HF repeat_kv: kv0,kv0,kv1,kv1,...). Query t of
// a row attends to keys segStart[t]...t — causal, and never across a document boundary.
import Foundation
import SpindleIO

/// Shapes of one attention call: rows of `t` tokens, `b` rows.
struct AttentionShape {
    let b, t, heads, kvHeads, hd: Int
    var rep: Int { heads / kvHeads }
    var scale: Float { 1 / Float(hd).squareRoot() }
}

/// The loop version, kept as the oracle for the BLAS kernels below (it only visits the causal window).
/// q [b·t, heads, hd], k, v [b·t, kvHeads, hd] (q, k already rotated) → out [b·t, heads, hd];
/// probs [b, heads, t, t] keeps the softmax for the backward pass (only columns segStart...i are valid).
/// segStart [b·t]: index within its row of the first token of the token's segment.
func attentionForwardReference(_ q: CFPtr, _ k: CFPtr, _ v: CFPtr, out: FPtr, probs: FPtr, segStart: UnsafePointer<Int32>,
                      _ s: AttentionShape) {
    let (T, H, KV, hd) = (s.t, s.heads, s.kvHeads, s.hd)
    let scale = s.scale
    Parallel.serial.forEach(s.b * H) { task in
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
func attentionBackwardReference(_ q: CFPtr, _ k: CFPtr, _ v: CFPtr, probs: CFPtr, dOut: CFPtr, segStart: UnsafePointer<Int32>,
                       dq: FPtr, dk: FPtr, dv: FPtr, scratch: FPtr, _ s: AttentionShape) {
    let (T, H, KV, hd) = (s.t, s.heads, s.kvHeads, s.hd)
    let scale = s.scale
    Parallel.serial.forEach(s.b * KV) { task in
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

// MARK: BLAS kernels (used by the model)
// Per (row, head) the scores are a [t, t] matrix product: S = Q·Kᵀ, O = P·V and, backward,
// dP = dO·Vᵀ, dQ = dS·K, dK += dSᵀ·Q, dV += Pᵀ·dO — five sgemm calls on strided views of the
// activations. They compute the full square (twice the causal work) but at sgemm speed; each task
// runs single-threaded OpenBLAS and the two cores take different tasks.

/// Runs `body` with OpenBLAS single-threaded (callers parallelise over tasks themselves).
@inline(__always)
func withSingleThreadedBLAS(_ body: () -> Void) {
    let blas = BLASBackend.shared
    let saved = blas.threads
    if saved != 1 { blas.threads = 1 }
    body()
    if saved != 1 { blas.threads = saved }
}

/// Same contract as `attentionForwardReference`; probs rows are zero outside the window.
func attentionForward(_ par: Parallel, _ q: CFPtr, _ k: CFPtr, _ v: CFPtr, out: FPtr, probs: FPtr, segStart: UnsafePointer<Int32>,
                      _ s: AttentionShape) {
    let (T, H, KV, hd) = (s.t, s.heads, s.kvHeads, s.hd)
    let blas = BLASBackend.shared
    withSingleThreadedBLAS {
        par.forEach(s.b * H) { task in
            let b = task / H, h = task % H, kvh = h / s.rep
            let p = probs + task * T * T
            let qb = q + (b * T * H + h) * hd, kb = k + (b * T * KV + kvh) * hd, vb = v + (b * T * KV + kvh) * hd
            blas.sgemm(transA: false, transB: true, m: T, n: T, k: hd, alpha: s.scale, a: qb, lda: H * hd,
                       b: kb, ldb: KV * hd, beta: 0, c: p, ldc: T)
            for i in 0..<T {
                let row = p + i * T
                let j0 = Int(segStart[b * T + i]), len = i - j0 + 1
                if j0 > 0 { row.update(repeating: 0, count: j0) }
                if i + 1 < T { (row + i + 1).update(repeating: 0, count: T - i - 1) }
                let mx = maxOf(row + j0, len)
                let sum = expShiftSum(row + j0, row + j0, len, shift: mx)
                scale(row + j0, len, by: 1 / sum)
            }
            blas.sgemm(transA: false, transB: false, m: T, n: hd, k: T, a: p, lda: T, b: vb, ldb: KV * hd,
                       beta: 0, c: out + (b * T * H + h) * hd, ldc: H * hd)
        }
    }
}

/// Same contract as `attentionBackwardReference`, but scratch must hold b · kvHeads · t · t floats.
func attentionBackward(_ par: Parallel, _ q: CFPtr, _ k: CFPtr, _ v: CFPtr, probs: CFPtr, dOut: CFPtr, segStart: UnsafePointer<Int32>,
                       dq: FPtr, dk: FPtr, dv: FPtr, scratch: FPtr, _ s: AttentionShape) {
    let (T, H, KV, hd) = (s.t, s.heads, s.kvHeads, s.hd)
    let blas = BLASBackend.shared
    withSingleThreadedBLAS {
        par.forEach(s.b * KV) { task in
            let b = task / KV, kvh = task % KV
            let ds = scratch + task * T * T
            let kb = k + (b * T * KV + kvh) * hd, vb = v + (b * T * KV + kvh) * hd
            let dkb = dk + (b * T * KV + kvh) * hd, dvb = dv + (b * T * KV + kvh) * hd
            for (r, h) in ((kvh * s.rep)..<((kvh + 1) * s.rep)).enumerated() {
                let p = probs + (b * H + h) * T * T
                let qb = q + (b * T * H + h) * hd, dob = dOut + (b * T * H + h) * hd
                // dP = dO · Vᵀ, then dS = P ⊙ (dP − rowsum(P ⊙ dP)) · scale, in place.
                blas.sgemm(transA: false, transB: true, m: T, n: T, k: hd, a: dob, lda: H * hd, b: vb, ldb: KV * hd,
                           beta: 0, c: ds, ldc: T)
                for i in 0..<T {
                    let pr = p + i * T, dr = ds + i * T
                    let j0 = Int(segStart[b * T + i]), len = i - j0 + 1
                    let acc = dot(pr + j0, dr + j0, len)
                    if j0 > 0 { dr.update(repeating: 0, count: j0) }
                    for j in j0...i { dr[j] = pr[j] * (dr[j] - acc) * s.scale }
                    if i + 1 < T { (dr + i + 1).update(repeating: 0, count: T - i - 1) }
                }
                let beta: Float = r == 0 ? 0 : 1
                blas.sgemm(transA: false, transB: false, m: T, n: hd, k: T, a: ds, lda: T, b: kb, ldb: KV * hd,
                           beta: 0, c: dq + (b * T * H + h) * hd, ldc: H * hd)
                blas.sgemm(transA: true, transB: false, m: T, n: hd, k: T, a: ds, lda: T, b: qb, ldb: H * hd,
                           beta: beta, c: dkb, ldc: KV * hd)
                blas.sgemm(transA: true, transB: false, m: T, n: hd, k: T, a: p, lda: T, b: dob, ldb: H * hd,
                           beta: beta, c: dvb, ldc: KV * hd)
            }
        }
    }
}
