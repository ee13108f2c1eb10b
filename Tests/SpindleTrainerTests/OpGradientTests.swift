// Finite-difference checks of every op's hand-written backward pass (fp32 kernels, losses summed in
// Double). The relative error ‖analytic − numeric‖ / ‖analytic‖ is stated in each expectation.
import Foundation
import Testing
import SpindleIO
@testable import SpindleTrainer

@Suite struct OpGradientTests {
    @Test func linearMatchesNaiveAndGradient() {
        let n = 5, i = 7, o = 6
        let x = Buf(randomArray(n * i, seed: 1)), w = Buf(randomArray(o * i, seed: 2)), r = Buf(randomArray(n * o, seed: 3))
        let y = Buf(zeros: n * o), yRef = Buf(zeros: n * o), dx = Buf(zeros: n * i), dw = Buf(zeros: o * i)
        let loss = { linearForward(x.p, w.p, y.p, n: n, inDim: i, outDim: o); return y.dot(r) }
        _ = loss()
        naiveSgemm(transA: false, transB: true, m: n, n: o, k: i, alpha: 1, a: x.p, lda: i, b: w.p, ldb: i, beta: 0, c: yRef.p, ldc: o)
        #expect(zip(y.array, yRef.array).allSatisfy { abs($0 - $1) < 1e-5 })
        linearBackward(x.p, w.p, r.p, dx: dx.p, dw: dw.p, n: n, inDim: i, outDim: o, accumulateDx: false)
        let ex = gradientRelativeError(values: x.p, analytic: dx.p, indices: x.all, loss: loss)
        let ew = gradientRelativeError(values: w.p, analytic: dw.p, indices: w.all, loss: loss)
        #expect(ex < 1e-3 && ew < 1e-3, "linear rel err dx \(ex) dW \(ew)")
    }

    @Test func sgemmTransposesMatchNaive() {
        let m = 9, n = 13, k = 11
        for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
            let a = Buf(randomArray(m * k, seed: 30)), b = Buf(randomArray(k * n, seed: 31))
            let c = Buf(randomArray(m * n, seed: 32)), cRef = Buf(c.array)
            BLASBackend.shared.sgemm(transA: ta, transB: tb, m: m, n: n, k: k, alpha: 0.5, a: a.p, lda: ta ? m : k,
                                     b: b.p, ldb: tb ? k : n, beta: 1, c: c.p, ldc: n)
            naiveSgemm(transA: ta, transB: tb, m: m, n: n, k: k, alpha: 0.5, a: a.p, lda: ta ? m : k,
                       b: b.p, ldb: tb ? k : n, beta: 1, c: cRef.p, ldc: n)
            #expect(zip(c.array, cRef.array).allSatisfy { abs($0 - $1) < 1e-5 })
        }
    }

    @Test func rmsNorm() {
        let n = 3, d = 8
        let x = Buf(randomArray(n * d, seed: 4, scale: 2)), g = Buf(randomArray(d, seed: 5)), r = Buf(randomArray(n * d, seed: 6))
        let y = Buf(zeros: n * d), rstd = Buf(zeros: n), dx = Buf(zeros: n * d), dg = Buf(zeros: d)
        let loss = { rmsNormForward(par2, x.p, g.p, y.p, rstd.p, n: n, d: d, eps: 1e-5); return y.dot(r) }
        _ = loss()
        rmsNormBackward(par2, x.p, g.p, rstd.p, r.p, dx: dx.p, dg: dg.p, n: n, d: d)
        let ex = gradientRelativeError(values: x.p, analytic: dx.p, indices: x.all, loss: loss)
        let eg = gradientRelativeError(values: g.p, analytic: dg.p, indices: g.all, loss: loss)
        #expect(ex < 1e-3 && eg < 1e-3, "rmsnorm rel err dx \(ex) dg \(eg)")
    }

    @Test func swiglu() {
        let n = 40
        let a = Buf(randomArray(n, seed: 7, scale: 3)), b = Buf(randomArray(n, seed: 8, scale: 2)), r = Buf(randomArray(n, seed: 9))
        let m = Buf(zeros: n), da = Buf(zeros: n), db = Buf(zeros: n)
        let loss = { swigluForward(par2, a.p, b.p, m.p, count: n); return m.dot(r) }
        swigluBackward(par2, a.p, b.p, r.p, da: da.p, db: db.p, count: n)
        let ea = gradientRelativeError(values: a.p, analytic: da.p, indices: a.all, loss: loss)
        let eb = gradientRelativeError(values: b.p, analytic: db.p, indices: b.all, loss: loss)
        #expect(ea < 1e-3 && eb < 1e-3, "swiglu rel err \(ea) \(eb)")
        let ref = Buf(zeros: n)
        swigluForwardReference(a.p, b.p, ref.p, count: n)
        _ = loss()
        #expect(zip(m.array, ref.array).allSatisfy { abs($0 - $1) <= 1e-6 * max(1, abs($1)) })
    }

    @Test func ropeBackwardIsTheInverseRotation() {
        let n = 4, heads = 3, hd = 8
        let table = RoPETable(headDim: hd, maxPos: 16, theta: 10000)
        let x = Buf(randomArray(n * heads * hd, seed: 10)), r = Buf(randomArray(n * heads * hd, seed: 11))
        let pos: [Int32] = [0, 3, 7, 15]
        let loss = { () -> Double in
            let y = Buf(x.array)
            table.apply(par2, y.p, positions: pos, n: n, heads: heads)
            return y.dot(r)
        }
        let dx = Buf(r.array)
        table.apply(par2, dx.p, positions: pos, n: n, heads: heads, inverse: true)
        let e = gradientRelativeError(values: x.p, analytic: dx.p, indices: x.all, loss: loss)
        #expect(e < 1e-3, "rope rel err \(e)")
        let y = Buf(x.array)   // position 0 is the identity
        table.apply(par2, y.p, positions: pos, n: n, heads: heads)
        #expect(Array(y.array[0..<(heads * hd)]) == Array(x.array[0..<(heads * hd)]))
    }

    @Test(arguments: [(4, false), (2, true), (1, true)])
    func attention(kv: Int, segmented: Bool) {
        let b = 2, t = 6, heads = 4, hd = 8
        let s = AttentionShape(b: b, t: t, heads: heads, kvHeads: kv, hd: hd)
        let q = Buf(randomArray(b * t * heads * hd, seed: 12)), k = Buf(randomArray(b * t * kv * hd, seed: 13))
        let v = Buf(randomArray(b * t * kv * hd, seed: 14)), r = Buf(randomArray(b * t * heads * hd, seed: 15))
        let seg: [Int32] = segmented ? [0, 0, 0, 3, 3, 5, 0, 1, 1, 1, 1, 1] : [Int32](repeating: 0, count: b * t)
        let out = Buf(zeros: q.count), probs = Buf(zeros: b * heads * t * t)
        let loss = { attentionForward(par2, q.p, k.p, v.p, out: out.p, probs: probs.p, segStart: seg, s); return out.dot(r) }
        _ = loss()
        let dq = Buf(zeros: q.count), dk = Buf(zeros: k.count), dv = Buf(zeros: v.count), scratch = Buf(zeros: b * kv * t * t)
        attentionBackward(par2, q.p, k.p, v.p, probs: probs.p, dOut: r.p, segStart: seg, dq: dq.p, dk: dk.p, dv: dv.p,
                          scratch: scratch.p, s)
        let eq = gradientRelativeError(values: q.p, analytic: dq.p, indices: q.all, loss: loss)
        let ek = gradientRelativeError(values: k.p, analytic: dk.p, indices: k.all, loss: loss)
        let ev = gradientRelativeError(values: v.p, analytic: dv.p, indices: v.all, loss: loss)
        #expect(eq < 1e-3 && ek < 1e-3 && ev < 1e-3, "attention rel err dq \(eq) dk \(ek) dv \(ev)")
        // The loop reference (the oracle) gives the same outputs and gradients.
        let out2 = Buf(zeros: q.count), probs2 = Buf(zeros: probs.count)
        attentionForwardReference(q.p, k.p, v.p, out: out2.p, probs: probs2.p, segStart: seg, s)
        let dq2 = Buf(zeros: q.count), dk2 = Buf(zeros: k.count), dv2 = Buf(zeros: v.count), sc2 = Buf(zeros: b * kv * t)
        attentionBackwardReference(q.p, k.p, v.p, probs: probs2.p, dOut: r.p, segStart: seg, dq: dq2.p, dk: dk2.p, dv: dv2.p,
                                   scratch: sc2.p, s)
        _ = loss()
        for (x, y) in [(out, out2), (dq, dq2), (dk, dk2), (dv, dv2)] {
            #expect(zip(x.array, y.array).allSatisfy { abs($0 - $1) < 1e-5 })
        }
    }

    @Test func attentionNeverLooksAcrossSegmentsOrIntoTheFuture() {
        // Changing a key/value outside a query's window leaves that query's output unchanged.
        let t = 5, heads = 2, hd = 4
        let s = AttentionShape(b: 1, t: t, heads: heads, kvHeads: 1, hd: hd)
        let q = Buf(randomArray(t * heads * hd, seed: 16)), k = Buf(randomArray(t * hd, seed: 17)), v = Buf(randomArray(t * hd, seed: 18))
        let seg: [Int32] = [0, 0, 2, 2, 2]   // segStart: tokens 0-1, then 2-4
        let o1 = Buf(zeros: q.count), o2 = Buf(zeros: q.count), p = Buf(zeros: heads * t * t)
        attentionForward(par2, q.p, k.p, v.p, out: o1.p, probs: p.p, segStart: seg, s)
        for i in 0..<hd { k.p[1 * hd + i] += 5; v.p[1 * hd + i] -= 3; k.p[4 * hd + i] *= -2 }  // tokens 1 and 4
        attentionForward(par2, q.p, k.p, v.p, out: o2.p, probs: p.p, segStart: seg, s)
        let w = heads * hd
        for tok in [0, 2, 3] { #expect(Array(o1.array[(tok * w)..<((tok + 1) * w)]) == Array(o2.array[(tok * w)..<((tok + 1) * w)])) }
        #expect(o1.p[w] != o2.p[w])   // token 1 sees itself
    }

    @Test func crossEntropy() {
        let n = 4, vocab = 9
        let logits = Buf(randomArray(n * vocab, seed: 19, scale: 3))
        let targets: [Int32] = [3, -1, 0, 8]
        let rows = Buf(zeros: n)
        let loss = { () -> Double in
            let l = Buf(logits.array)
            return crossEntropyForwardBackward(par2, l.p, targets: targets, n: n, vocab: vocab, scale: 1, lossPerRow: rows.p, writeGradient: false)
        }
        let grad = Buf(logits.array)
        _ = crossEntropyForwardBackward(par2, grad.p, targets: targets, n: n, vocab: vocab, scale: 1, lossPerRow: rows.p)
        let e = gradientRelativeError(values: logits.p, analytic: grad.p, indices: logits.all, loss: loss)
        #expect(e < 1e-3, "cross-entropy rel err \(e)")
        #expect(grad.array[vocab..<(2 * vocab)].allSatisfy { $0 == 0 })   // ignored row
        let lp = Buf(zeros: n)
        logProbs(par2, logits.p, targets: targets, n: n, vocab: vocab, out: lp.p)
        _ = loss()
        #expect(abs(lp.p[0] + rows.p[0]) < 1e-5 && lp.p[1] == 0)
    }

    @Test func embeddingScatterAdds() {
        let d = 3
        let e = Buf(randomArray(4 * d, seed: 20)), x = Buf(zeros: 3 * d), dE = Buf(zeros: 4 * d)
        embeddingForward(e.p, tokens: [2, 0, 2], x.p, n: 3, d: d)
        #expect(Array(x.array[0..<d]) == Array(e.array[(2 * d)..<(3 * d)]))
        embeddingBackward([1, 1, 1, 2, 2, 2, 4, 4, 4], tokens: [2, 0, 2], dE: dE.p, n: 3, d: d)
        #expect(dE.array == [2, 2, 2, 0, 0, 0, 5, 5, 5, 0, 0, 0])
    }
}

@Suite struct FastMathTests {
    @Test func exp8AgreesWithExpf() {
        var worst: Float = 0
        var x: Float = -87
        while x < 88 {
            let v = exp8(SIMD8((0..<8).map { x + Float($0) * 0.001 }))
            for i in 0..<8 { let want = expf(x + Float(i) * 0.001); worst = max(worst, abs(v[i] - want) / want) }
            x += 0.0173
        }
        #expect(worst < 5e-7, "max relative error \(worst)")
        #expect(exp8(SIMD8(repeating: -200))[0] < 1e-37)
    }
}
