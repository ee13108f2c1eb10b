// Generator.swift: inference with a KV cache — one new token per sequence per step, a batch of
// sequences advancing together (the RL stages sample many responses at once).
import Foundation
import SpindleIO

/// Generated continuation of one prompt.
public struct Generation: Sendable, Equatable {
    public var tokens: [Int32]        // new tokens (without the prompt; without the stop token)
    public var logProbs: [Float]      // model log p of each new token (temperature 1)
    public var stopped: Bool          // ended on the stop token
}

/// KV-cached decoding for up to `batch` sequences of up to `maxLen` positions.
public final class Generator {
    public let model: LlamaModel
    public let batch: Int
    public let maxLen: Int
    let kCache: [FloatBuffer], vCache: [FloatBuffer]     // per layer [batch, maxLen, kvDim]
    let x, xn, q, k, v, att, a, b, m, logits, scores: FloatBuffer
    let rstd: FloatBuffer
    let sortIndex: UnsafeMutablePointer<Int32>
    let posBuf: UnsafeMutablePointer<Int32>
    /// Persistent threads for single-sequence decoding (nil with one thread).
    let pool: SpinPool?

    /// `threads` (default: the model's `parallel.threads`) is the number of threads single-sequence decoding uses.
    public init(model: LlamaModel, batch: Int = 1, maxLen: Int? = nil, threads: Int? = nil) {
        let threads = threads ?? model.parallel.threads
        self.model = model
        let c = model.config
        self.batch = batch
        let ml = min(maxLen ?? c.maxSeqLen, c.maxSeqLen)
        self.maxLen = ml
        let qd = c.nHeads * c.headDim
        kCache = (0..<c.nLayers).map { _ in FloatBuffer(batch * ml * c.kvDim) }
        vCache = (0..<c.nLayers).map { _ in FloatBuffer(batch * ml * c.kvDim) }
        x = FloatBuffer(batch * c.dim); xn = FloatBuffer(batch * c.dim); rstd = FloatBuffer(batch)
        q = FloatBuffer(batch * qd); k = FloatBuffer(batch * c.kvDim); v = FloatBuffer(batch * c.kvDim)
        att = FloatBuffer(batch * qd)
        a = FloatBuffer(batch * c.hiddenDim); b = FloatBuffer(batch * c.hiddenDim); m = FloatBuffer(batch * c.hiddenDim)
        logits = FloatBuffer(batch * c.vocabSize); scores = FloatBuffer(batch * c.nHeads * ml)
        sortIndex = .allocate(capacity: c.vocabSize)
        posBuf = .allocate(capacity: batch)
        pool = threads > 1 ? SpinPool(threads: threads) : nil
    }
    deinit { sortIndex.deallocate(); posBuf.deallocate() }

    /// y[rows, out] = x[rows, in] · Wᵀ; a matrix-vector product for one row.
    @inline(__always) func project(_ xin: CFPtr, _ w: CFPtr, _ y: FPtr, rows: Int, inDim: Int, outDim: Int, accumulate: Bool = false) {
        if rows == 1 {
            matVec(w, xin, y, rows: 0..<outDim, n: inDim, accumulate: accumulate)
        } else {
            linearForward(xin, w, y, n: rows, inDim: inDim, outDim: outDim, accumulate: accumulate)
        }
    }

    /// Feeds `tokens[i]` at position `pos` for sequences 0..<rows; returns logits [rows, vocab].
    func step(tokens: UnsafePointer<Int32>, rows: Int, pos: Int) -> UnsafeMutablePointer<Float> {
        precondition(rows <= batch && pos < maxLen)
        if rows == 1, let pool { return stepOne(token: tokens[0], pos: pos, pool: pool) }
        let c = model.config, d = c.dim, qd = c.nHeads * c.headDim, kvd = c.kvDim, hid = c.hiddenDim
        let P = model.params.p, L = model.layout
        embeddingForward(P + L.embed, tokens: tokens, x.p, n: rows, d: d)
        for r in 0..<rows { posBuf[r] = Int32(pos) }
        for l in 0..<c.nLayers {
            let w = L.layers[l]
            rmsNormForward(model.parallel, x.p, P + w.attnNorm, xn.p, rstd.p, n: rows, d: d, eps: c.normEps)
            project(xn.p, P + w.wq, q.p, rows: rows, inDim: d, outDim: qd)
            project(xn.p, P + w.wk, k.p, rows: rows, inDim: d, outDim: kvd)
            project(xn.p, P + w.wv, v.p, rows: rows, inDim: d, outDim: kvd)
            model.rope.apply(model.parallel, q.p, positions: posBuf, n: rows, heads: c.nHeads)
            model.rope.apply(model.parallel, k.p, positions: posBuf, n: rows, heads: c.nKVHeads)
            let kc = kCache[l].p, vc = vCache[l].p
            for r in 0..<rows {
                (kc + (r * maxLen + pos) * kvd).update(from: k.p + r * kvd, count: kvd)
                (vc + (r * maxLen + pos) * kvd).update(from: v.p + r * kvd, count: kvd)
            }
            model.parallel.forEach(rows * c.nHeads) { task in attend(layer: l, row: task / c.nHeads, head: task % c.nHeads, pos: pos) }
            project(att.p, P + w.wo, x.p, rows: rows, inDim: qd, outDim: d, accumulate: true)
            rmsNormForward(model.parallel, x.p, P + w.ffnNorm, xn.p, rstd.p, n: rows, d: d, eps: c.normEps)
            project(xn.p, P + w.w1, a.p, rows: rows, inDim: d, outDim: hid)
            project(xn.p, P + w.w3, b.p, rows: rows, inDim: d, outDim: hid)
            swigluForward(model.parallel, a.p, b.p, m.p, count: rows * hid)
            project(m.p, P + w.w2, x.p, rows: rows, inDim: hid, outDim: d, accumulate: true)
        }
        rmsNormForward(model.parallel, x.p, P + L.finalNorm, xn.p, rstd.p, n: rows, d: d, eps: c.normEps)
        project(xn.p, P + L.head, logits.p, rows: rows, inDim: d, outDim: c.vocabSize)
        return logits.p
    }

    /// `step` for a single sequence: every product is split by rows over the pool's threads, and
    /// q/k/v and w1/w3 (+ SwiGLU) share one parallel region each: five regions a layer.
    func stepOne(token: Int32, pos: Int, pool: SpinPool) -> UnsafeMutablePointer<Float> {
        let c = model.config, d = c.dim, qd = c.nHeads * c.headDim, kvd = c.kvDim, hid = c.hiddenDim
        let P = model.params.p, L = model.layout, T = pool.threads
        let x = self.x.p, xn = self.xn.p, q = self.q.p, k = self.k.p, v = self.v.p, att = self.att.p
        let a = self.a.p, b = self.b.p, m = self.m.p
        x.update(from: P + L.embed + Int(token) * d, count: d)
        posBuf[0] = Int32(pos)
        for l in 0..<c.nLayers {
            let w = L.layers[l]
            rmsNormForward(model.parallel, x, P + w.attnNorm, xn, rstd.p, n: 1, d: d, eps: c.normEps)
            pool.run { t in
                matVec(P + w.wq, xn, q, rows: SpinPool.piece(qd, t, T), n: d, accumulate: false)
                matVec(P + w.wk, xn, k, rows: SpinPool.piece(kvd, t, T), n: d, accumulate: false)
                matVec(P + w.wv, xn, v, rows: SpinPool.piece(kvd, t, T), n: d, accumulate: false)
            }
            model.rope.apply(model.parallel, q, positions: posBuf, n: 1, heads: c.nHeads)
            model.rope.apply(model.parallel, k, positions: posBuf, n: 1, heads: c.nKVHeads)
            (kCache[l].p + pos * kvd).update(from: k, count: kvd)
            (vCache[l].p + pos * kvd).update(from: v, count: kvd)
            pool.run { t in for h in SpinPool.piece(c.nHeads, t, T) { attend(layer: l, row: 0, head: h, pos: pos) } }
            pool.run { t in matVec(P + w.wo, att, x, rows: SpinPool.piece(d, t, T), n: qd, accumulate: true) }
            rmsNormForward(model.parallel, x, P + w.ffnNorm, xn, rstd.p, n: 1, d: d, eps: c.normEps)
            pool.run { t in
                let r = SpinPool.piece(hid, t, T, align: 8)
                matVec(P + w.w1, xn, a, rows: r, n: d, accumulate: false)
                matVec(P + w.w3, xn, b, rows: r, n: d, accumulate: false)
                swigluForward(model.parallel, a + r.lowerBound, b + r.lowerBound, m + r.lowerBound, count: r.count)
            }
            pool.run { t in matVec(P + w.w2, m, x, rows: SpinPool.piece(d, t, T), n: hid, accumulate: true) }
        }
        rmsNormForward(model.parallel, x, P + L.finalNorm, xn, rstd.p, n: 1, d: d, eps: c.normEps)
        let logits = self.logits.p
        pool.run { t in matVec(P + L.head, xn, logits, rows: SpinPool.piece(c.vocabSize, t, T), n: d, accumulate: false) }
        return logits
    }

    /// Attention of query head `head` of sequence `row` at `pos` over the cached keys and values.
    @inline(__always)
    func attend(layer l: Int, row r: Int, head h: Int, pos: Int) {
        let c = model.config, qd = c.nHeads * c.headDim, kvd = c.kvDim, hd = c.headDim
        let kvh = h / (c.nHeads / c.nKVHeads), scale = 1 / Float(hd).squareRoot()
        let kc = kCache[l].p + r * maxLen * kvd + kvh * hd, vc = vCache[l].p + r * maxLen * kvd + kvh * hd
        let qh = q.p + r * qd + h * hd
        let s = scores.p + (r * c.nHeads + h) * maxLen
        var mx = -Float.infinity
        for j in 0...pos {
            let sc = dot(qh, kc + j * kvd, hd) * scale
            s[j] = sc; mx = max(mx, sc)
        }
        let sum = expShiftSum(s, s, pos + 1, shift: mx)
        let o = att.p + r * qd + h * hd
        o.update(repeating: 0, count: hd)
        let inv = 1 / sum
        for j in 0...pos { axpy(s[j] * inv, vc + j * kvd, o, hd) }
    }

    /// Samples continuations of every prompt (at most `batch` of them), in lockstep; deterministic
    /// for a given seed (sequence i draws from its own generator seeded with seed + i). `isCancelled`
    /// is asked once per decoding step; when it answers true decoding stops and what was sampled is returned.
    public func generate(prompts: [[Int32]], options: SamplingOptions, onToken: ((Int, Int32) -> Void)? = nil,
                         isCancelled: (() -> Bool)? = nil) -> [Generation] {
        precondition(!prompts.isEmpty && prompts.count <= batch && prompts.allSatisfy { !$0.isEmpty })
        let rows = prompts.count, vocab = model.config.vocabSize
        var rngs = (0..<rows).map { SeededRandom(seed: options.seed &+ UInt64($0)) }
        var out = [Generation](repeating: Generation(tokens: [], logProbs: [], stopped: false), count: rows)
        var done = [Bool](repeating: false, count: rows)
        var input = prompts.map { $0[0] }
        let longest = prompts.map(\.count).max()!
        let end = min(maxLen, longest + options.maxNewTokens)
        for pos in 0..<(end - 1) {
            if isCancelled?() == true { break }
            let lg = input.withUnsafeBufferPointer { step(tokens: $0.baseAddress!, rows: rows, pos: pos) }
            for r in 0..<rows {
                if pos + 1 < prompts[r].count { input[r] = prompts[r][pos + 1]; continue }
                if done[r] || out[r].tokens.count >= options.maxNewTokens { done[r] = true; continue }
                let (tok, lp) = sampleToken(lg + r * vocab, vocab: vocab, options: options, rng: &rngs[r], index: sortIndex)
                if let stop = options.stopToken, tok == stop { out[r].stopped = true; done[r] = true; continue }
                out[r].tokens.append(tok); out[r].logProbs.append(lp)
                onToken?(r, tok)
                input[r] = tok
            }
            if done.allSatisfy({ $0 }) { break }
        }
        return out
    }
}
