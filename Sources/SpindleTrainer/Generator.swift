// Generator.swift: inference with a KV cache — one new token per sequence per step, a batch of
// sequences advancing together (the RL stages sample many responses at once).
import CSpindleCPU
import Foundation
import SpindleIO

/// Generated continuation of one prompt.
public struct Generation: Sendable, Equatable {
    public var tokens: [Int32]        // new tokens (without the prompt; without the stop token)
    public var logProbs: [Float]      // model log p of each new token (temperature 1)
    public var stopped: Bool          // ended on the stop token
}

/// KV-cached decoding for up to `batch` sequences of up to `maxLen` positions. Each sequence owns a
/// cache slot; rows of one forward may sit at different positions of different slots (a prompt's
/// positions as one batch, or sequences of different prompts decoding together; GeneratorBatch.swift).
public final class Generator {
    public let model: LlamaModel
    public let batch: Int
    public let maxLen: Int
    /// Rows one forward can hold: `batch` decoding rows, or a chunk of prefill positions.
    let rowCapacity: Int
    /// Rows of one forward that can return logits (`batch` unless the init asked for more).
    let logitRows: Int
    let kCache: [FloatBuffer], vCache: [FloatBuffer]     // per layer [batch, maxLen, kvDim]
    let x, xn, q, k, v, att, a, b, m, logits, scores, sampleLogits: FloatBuffer
    let rstd: FloatBuffer
    let sortIndex: UnsafeMutablePointer<Int32>           // [batch, vocab]: one sampling scratch per row
    let posBuf, slotBuf, tokBuf, outBuf: UnsafeMutablePointer<Int32>   // [rowCapacity]
    /// Persistent threads for single-sequence decoding (nil with one thread).
    let pool: SpinPool?
    /// Every product of up to `smallRows` rows through `matRows`, one row included (no `stepOne`, no
    /// `matVec`): a row's logits are then bit for bit the same whichever rows share its forward, which
    /// continuous batching needs (GeneratorSlots.swift). Single-sequence decoding is slower this way.
    public var batchInvariant = false

    /// `threads` (default: the model's `parallel.threads`) is the number of threads single-sequence decoding uses.
    /// `prefillChunk` is the most prompt positions one prefill forward takes. `logitRows` (default
    /// `batch`, at most the rows of a forward) is how many rows of one forward may return logits.
    public init(model: LlamaModel, batch: Int = 1, maxLen: Int? = nil, threads: Int? = nil, prefillChunk: Int = 64,
                logitRows: Int? = nil) {
        let threads = threads ?? model.parallel.threads
        self.model = model
        let c = model.config
        self.batch = batch
        let ml = min(maxLen ?? c.maxSeqLen, c.maxSeqLen)
        self.maxLen = ml
        let n = max(batch, min(ml, max(1, prefillChunk)))
        rowCapacity = n
        self.logitRows = min(n, max(batch, logitRows ?? batch))
        let qd = c.nHeads * c.headDim
        kCache = (0..<c.nLayers).map { _ in FloatBuffer(batch * ml * c.kvDim) }
        vCache = (0..<c.nLayers).map { _ in FloatBuffer(batch * ml * c.kvDim) }
        x = FloatBuffer(n * c.dim); xn = FloatBuffer(n * c.dim); rstd = FloatBuffer(n)
        q = FloatBuffer(n * qd); k = FloatBuffer(n * c.kvDim); v = FloatBuffer(n * c.kvDim)
        att = FloatBuffer(n * qd)
        a = FloatBuffer(n * c.hiddenDim); b = FloatBuffer(n * c.hiddenDim); m = FloatBuffer(n * c.hiddenDim)
        logits = FloatBuffer(self.logitRows * c.vocabSize); scores = FloatBuffer(n * c.nHeads * ml)
        sampleLogits = FloatBuffer(batch * c.vocabSize)
        sortIndex = .allocate(capacity: batch * c.vocabSize)
        posBuf = .allocate(capacity: n); slotBuf = .allocate(capacity: n)
        tokBuf = .allocate(capacity: n); outBuf = .allocate(capacity: n)
        pool = threads > 1 ? SpinPool(threads: threads) : nil
    }
    deinit {
        sortIndex.deallocate(); posBuf.deallocate(); slotBuf.deallocate(); tokBuf.deallocate(); outBuf.deallocate()
    }

    /// Rows up to which products run through `matRows` on the pool rather than OpenBLAS's sgemm
    /// (decoding batches; prefill chunks above it are a real matrix product).
    static let smallRows = 32

    /// y[rows, out] = x[rows, in] · Wᵀ; a matrix-vector product for one row, `matRows` for a few.
    @inline(__always) func project(_ xin: CFPtr, _ w: CFPtr, _ y: FPtr, rows: Int, inDim: Int, outDim: Int, accumulate: Bool = false) {
        if rows == 1 && !batchInvariant {
            matVec(w, xin, y, rows: 0..<outDim, n: inDim, accumulate: accumulate)
        } else if rows <= Generator.smallRows {
            each(piecesOf: outDim) { cols in matRows(w, xin, y, m: rows, cols: cols, n: inDim, ldy: outDim, accumulate: accumulate) }
        } else {
            linearForward(xin, w, y, n: rows, inDim: inDim, outDim: outDim, accumulate: accumulate)
        }
    }

    /// `body(range)` on each thread's contiguous piece of 0..<n (the pool's threads, or inline).
    @inline(__always) func each(piecesOf n: Int, _ body: (Range<Int>) -> Void) {
        guard let pool else { return body(0..<n) }
        let T = pool.threads
        pool.run { t in body(SpinPool.piece(n, t, T, align: 2)) }
    }

    /// `body(i)` for i in 0..<n, interleaved over the pool's threads (or inline); each i writes only its own outputs.
    @inline(__always) func each(_ n: Int, _ body: (Int) -> Void) {
        guard let pool, n > 1 else { for i in 0..<n { body(i) }; return }
        let T = pool.threads
        pool.run { t in
            var i = t
            while i < n { body(i); i += T }
        }
    }

    /// Feeds `tokens[i]` at position `pos` of cache slot i for sequences 0..<rows; returns logits [rows, vocab].
    func step(tokens: UnsafePointer<Int32>, rows: Int, pos: Int) -> UnsafeMutablePointer<Float> {
        precondition(rows <= batch && pos < maxLen)
        for r in 0..<rows { posBuf[r] = Int32(pos); slotBuf[r] = Int32(r) }
        return forward(tokens: tokens, slots: slotBuf, positions: posBuf, rows: rows, outputs: nil, outputCount: rows)
    }

    /// One forward of `rows` rows: row r feeds `tokens[r]` at position `positions[r]` of cache slot
    /// `slots[r]` and attends over that slot's positions 0...positions[r] (every row's keys and values
    /// are written first, so rows of one slot at consecutive positions are a causal prefill). Logits
    /// [outputCount, vocab] come back for rows `outputs` (all rows, in order, when nil).
    func forward(tokens: UnsafePointer<Int32>, slots: UnsafePointer<Int32>, positions: UnsafePointer<Int32>, rows: Int,
                 outputs: UnsafePointer<Int32>?, outputCount: Int) -> UnsafeMutablePointer<Float> {
        precondition(rows >= 1 && rows <= rowCapacity && outputCount <= logitRows)
        if rows == 1, let pool, !batchInvariant { return stepOne(token: tokens[0], pos: Int(positions[0]), slot: Int(slots[0]), pool: pool) }
        let c = model.config, d = c.dim, qd = c.nHeads * c.headDim, kvd = c.kvDim, hid = c.hiddenDim
        let P = model.params.p, L = model.layout
        embeddingForward(P + L.embed, tokens: tokens, x.p, n: rows, d: d)
        let rope = model.ropeTables.table(positions: positions, n: rows)
        for l in 0..<c.nLayers {
            let w = L.layers[l]
            rmsNormForward(model.parallel, x.p, P + w.attnNorm, xn.p, rstd.p, n: rows, d: d, eps: c.normEps)
            project(xn.p, P + w.wq, q.p, rows: rows, inDim: d, outDim: qd)
            project(xn.p, P + w.wk, k.p, rows: rows, inDim: d, outDim: kvd)
            project(xn.p, P + w.wv, v.p, rows: rows, inDim: d, outDim: kvd)
            rope.apply(model.parallel, q.p, positions: positions, n: rows, heads: c.nHeads)
            rope.apply(model.parallel, k.p, positions: positions, n: rows, heads: c.nKVHeads)
            let kc = kCache[l].p, vc = vCache[l].p
            for r in 0..<rows {
                let at = (Int(slots[r]) * maxLen + Int(positions[r])) * kvd
                (kc + at).update(from: k.p + r * kvd, count: kvd)
                (vc + at).update(from: v.p + r * kvd, count: kvd)
            }
            each(rows * c.nHeads) { task in
                let r = task / c.nHeads
                attend(layer: l, row: r, slot: Int(slots[r]), head: task % c.nHeads, pos: Int(positions[r]))
            }
            project(att.p, P + w.wo, x.p, rows: rows, inDim: qd, outDim: d, accumulate: true)
            rmsNormForward(model.parallel, x.p, P + w.ffnNorm, xn.p, rstd.p, n: rows, d: d, eps: c.normEps)
            project(xn.p, P + w.w1, a.p, rows: rows, inDim: d, outDim: hid)
            project(xn.p, P + w.w3, b.p, rows: rows, inDim: d, outDim: hid)
            swigluForward(model.parallel, a.p, b.p, m.p, count: rows * hid)
            project(m.p, P + w.w2, x.p, rows: rows, inDim: hid, outDim: d, accumulate: true)
        }
        // The head only for the rows whose logits are wanted (a prefill needs one per prompt).
        var outRows = rows
        if let outputs {
            for i in 0..<outputCount where Int(outputs[i]) != i {
                (x.p + i * d).update(from: x.p + Int(outputs[i]) * d, count: d)   // outputs ascend: i ≤ outputs[i]
            }
            outRows = outputCount
            if outRows == 0 { return logits.p }
        }
        rmsNormForward(model.parallel, x.p, P + L.finalNorm, xn.p, rstd.p, n: outRows, d: d, eps: c.normEps)
        project(xn.p, P + L.head, logits.p, rows: outRows, inDim: d, outDim: c.vocabSize)
        return logits.p
    }

    /// `step` for a single sequence: every product is split by rows over the pool's threads, and
    /// q/k/v and w1/w3 (+ SwiGLU) share one parallel region each: five regions a layer.
    func stepOne(token: Int32, pos: Int, slot: Int = 0, pool: SpinPool) -> UnsafeMutablePointer<Float> {
        let c = model.config, d = c.dim, qd = c.nHeads * c.headDim, kvd = c.kvDim, hid = c.hiddenDim
        let P = model.params.p, L = model.layout, T = pool.threads
        let x = self.x.p, xn = self.xn.p, q = self.q.p, k = self.k.p, v = self.v.p, att = self.att.p
        let a = self.a.p, b = self.b.p, m = self.m.p
        x.update(from: P + L.embed + Int(token) * d, count: d)
        posBuf[0] = Int32(pos)
        let rope = model.ropeTables.table(length: pos + 1)
        for l in 0..<c.nLayers {
            let w = L.layers[l]
            rmsNormForward(model.parallel, x, P + w.attnNorm, xn, rstd.p, n: 1, d: d, eps: c.normEps)
            pool.run { t in
                matVec(P + w.wq, xn, q, rows: SpinPool.piece(qd, t, T), n: d, accumulate: false)
                matVec(P + w.wk, xn, k, rows: SpinPool.piece(kvd, t, T), n: d, accumulate: false)
                matVec(P + w.wv, xn, v, rows: SpinPool.piece(kvd, t, T), n: d, accumulate: false)
            }
            rope.apply(model.parallel, q, positions: posBuf, n: 1, heads: c.nHeads)
            rope.apply(model.parallel, k, positions: posBuf, n: 1, heads: c.nKVHeads)
            (kCache[l].p + (slot * maxLen + pos) * kvd).update(from: k, count: kvd)
            (vCache[l].p + (slot * maxLen + pos) * kvd).update(from: v, count: kvd)
            pool.run { t in for h in SpinPool.piece(c.nHeads, t, T) { attend(layer: l, row: 0, slot: slot, head: h, pos: pos) } }
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

    /// Attention of query head `head` of forward row `row` at `pos` over cache slot `slot`'s keys and values.
    @inline(__always)
    func attend(layer l: Int, row r: Int, slot: Int, head h: Int, pos: Int) {
        let c = model.config, qd = c.nHeads * c.headDim, kvd = c.kvDim, hd = c.headDim
        let kvh = h / (c.nHeads / c.nKVHeads), scale = 1 / Float(hd).squareRoot()
        let kc = kCache[l].p + slot * maxLen * kvd + kvh * hd, vc = vCache[l].p + slot * maxLen * kvd + kvh * hd
        let qh = q.p + r * qd + h * hd
        let s = scores.p + (r * c.nHeads + h) * maxLen
        // A head's keys and values sit kvDim floats apart, one short run per position: too far apart
        // for the hardware prefetcher, so each is fetched `ahead` positions early. At K = 16 samples
        // on the stories15M shape this loop took 10% of decoding, mostly waiting on those loads.
        let ahead = 4
        var mx = -Float.infinity
        for j in 0...pos {
            prefetchRun(kc + (j + ahead) * kvd, hd)
            let sc = dot(qh, kc + j * kvd, hd) * scale
            s[j] = sc; mx = max(mx, sc)
        }
        let sum = expShiftSum(s, s, pos + 1, shift: mx)
        let o = att.p + r * qd + h * hd
        o.update(repeating: 0, count: hd)
        let inv = 1 / sum
        for j in 0...pos {
            prefetchRun(vc + (j + ahead) * kvd, hd)
            axpy(s[j] * inv, vc + j * kvd, o, hd)
        }
    }

    /// Prefetches the cache lines of `n` floats at `p` (a hint: addresses past the cache never fault).
    @inline(__always) private func prefetchRun(_ p: UnsafePointer<Float>, _ n: Int) {
        var i = 0
        while i < n { spindle_prefetch(UnsafeRawPointer(p + i)); i += 16 }
        spindle_prefetch(UnsafeRawPointer(p + n - 1))
    }

    /// The naive twin of `generate` (its test oracle): every prompt fed token by token through `step`,
    /// all rows at the same position, finished rows still computed. Same seeding and outputs.
    func generateLockstep(prompts: [[Int32]], options: SamplingOptions, onToken: ((Int, Int32) -> Void)? = nil) -> [Generation] {
        precondition(!prompts.isEmpty && prompts.count <= batch && prompts.allSatisfy { !$0.isEmpty })
        let rows = prompts.count, vocab = model.config.vocabSize
        var rngs = (0..<rows).map { SeededRandom(seed: options.seed &+ UInt64($0)) }
        var out = [Generation](repeating: Generation(tokens: [], logProbs: [], stopped: false), count: rows)
        var done = [Bool](repeating: false, count: rows)
        var input = prompts.map { $0[0] }
        let longest = prompts.map(\.count).max()!
        let end = min(maxLen, longest + options.maxNewTokens)
        for pos in 0..<(end - 1) {
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
