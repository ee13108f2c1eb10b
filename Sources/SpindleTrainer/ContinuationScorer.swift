// ContinuationScorer.swift: log-likelihood of continuations given a context (evaluation harness
// requests), with the context shared: the choices of one question are scored from one forward pass
// over their common token prefix (the model's `forward`), whose keys and values seed a Generator's KV
// cache slots (one per choice); then every choice's remaining tokens go through one more forward
// together, each row at its own position of its own slot (a packed prefill over the cached prefix).
//
// The maths is the model's own (`forward`, and the Generator's forward that decoding uses), so a span's
// score equals a full forward over it to float rounding (ContinuationScorerTests checks every path).
import Foundation
import SpindleIO

/// One request: score `tokens[start...]` given `tokens[..<start]` (1 ≤ start < tokens.count).
public struct ScoredSpan: Sendable, Equatable {
    public var tokens: [Int32]
    public var start: Int
    public init(tokens: [Int32], start: Int) { self.tokens = tokens; self.start = start }
}

/// The sum of log p over the scored tokens, and whether each was the model's argmax (the harness's
/// `is_greedy`).
public struct SpanScore: Sendable, Equatable {
    public var logLikelihood: Double
    public var isGreedy: Bool
    public var tokenLogProbs: [Float]
}

public final class ContinuationScorer {
    /// How a question's choices are scored. `auto`: the shared prefix once, then all the choices'
    /// remaining tokens as the rows of one forward over the cached prefix (every token computed once,
    /// every product a matrix product). `always`: the prefix once, then the rest in lockstep, one
    /// `Generator.step` per position (memory-bound: each step reads every weight for a few rows).
    /// `never`: each choice a row of one padded batched forward, as the harness does.
    public enum Sharing: Sendable { case auto, always, never }
    public var sharing = Sharing.auto
    public let model: LlamaModel
    let generator: Generator
    private var acts: [Int: Activations] = [:]   // forward activations by rows × padded length
    /// Prefix (or whole-span) forwards, and forwards after a cached prefix (`auto`: one per group;
    /// `always`: one step per position), run so far (for reports and tests of the sharing).
    public private(set) var prefills = 0, steps = 0

    /// `rows`: spans advanced together after a shared prefix (a question's choices).
    public init(model: LlamaModel, rows: Int) throws {
        guard model.layout.head >= 0 else {
            throw TrainerError.config(field: "architectures", message: "a reward model (score head) has no next-token head to score with")
        }
        self.model = model
        generator = Generator(model: model, batch: max(1, rows), prefillChunk: 256, logitRows: 256)   // continuation rows a forward
    }

    /// Scores spans. Consecutive spans with the same context tokens (a question's choices: the shared
    /// prefix covers the shorter context) share its forward pass, `generator.batch` at a time.
    public func score(_ spans: [ScoredSpan]) throws -> [SpanScore] {
        for s in spans { try validate(s) }
        var out: [SpanScore] = []
        var i = 0
        while i < spans.count {
            var j = i + 1
            while j < spans.count && j - i < generator.batch
                    && sharedPrefix([spans[i], spans[j]]) >= min(spans[i].start, spans[j].start) { j += 1 }
            out += scoreGroup(Array(spans[i..<j]))
            i = j
        }
        return out
    }

    func validate(_ s: ScoredSpan) throws {
        let c = model.config
        guard s.start >= 1 && s.start < s.tokens.count else {
            throw TrainerError.data(file: "input", line: nil, message: "scored span starts at \(s.start) of \(s.tokens.count) tokens")
        }
        guard s.tokens.count <= c.maxSeqLen + 1 else {
            throw TrainerError.data(file: "input", line: nil, message: "span of \(s.tokens.count) tokens exceeds max_position_embeddings \(c.maxSeqLen) + 1")
        }
        if let bad = s.tokens.first(where: { $0 < 0 || Int($0) >= c.vocabSize }) {
            throw TrainerError.data(file: "input", line: nil, message: "token id \(bad) outside the vocabulary of \(c.vocabSize)")
        }
    }

    /// Length of the prefix every span's input (tokens but the last) shares.
    func sharedPrefix(_ spans: [ScoredSpan]) -> Int {
        var p = spans.map { $0.tokens.count - 1 }.min()!
        let first = spans[0].tokens
        for s in spans.dropFirst() {
            var k = 0
            while k < p && s.tokens[k] == first[k] { k += 1 }
            p = k
        }
        return p
    }

    /// Spans (at most `generator.batch`); one span alone is a single forward over its input.
    func scoreGroup(_ spans: [ScoredSpan]) -> [SpanScore] {
        let p = sharedPrefix(spans), vocab = model.config.vocabSize
        if spans.count > 1 && sharing == .never { return scoreBatched(spans) }
        if sharing == .auto || spans.count == 1 { return scorePacked(spans, prefix: p) }
        let a = prefill(Array(spans[0].tokens[0..<p]))
        var lps = spans.map { [Float](repeating: 0, count: $0.tokens.count - $0.start) }
        var greedy = [Bool](repeating: true, count: spans.count)
        // Tokens at positions ≤ p are predicted by the prefix's logits.
        for (r, s) in spans.enumerated() {
            for k in s.start..<min(p + 1, s.tokens.count) {
                let (lp, top) = logProb(a.logits.p + (k - 1) * vocab, target: s.tokens[k])
                lps[r][k - s.start] = lp; greedy[r] = greedy[r] && top
            }
        }
        let end = spans.map { $0.tokens.count - 1 }.max()!   // last input position + 1
        guard p < end else { return finish(lps, greedy) }
        let kvd = model.config.kvDim, ml = generator.maxLen
        for l in 0..<model.config.nLayers {
            for r in 0..<spans.count {
                (generator.kCache[l].p + r * ml * kvd).update(from: a.layers[l].k.p, count: p * kvd)
                (generator.vCache[l].p + r * ml * kvd).update(from: a.layers[l].v.p, count: p * kvd)
            }
        }
        var input = [Int32](repeating: 0, count: spans.count)
        for pos in p..<end {
            for (r, s) in spans.enumerated() { input[r] = pos < s.tokens.count - 1 ? s.tokens[pos] : 0 }
            let logits = input.withUnsafeBufferPointer { generator.step(tokens: $0.baseAddress!, rows: spans.count, pos: pos) }
            steps += 1
            for (r, s) in spans.enumerated() where pos + 1 >= s.start && pos + 1 < s.tokens.count {
                let (lp, top) = logProb(logits + r * vocab, target: s.tokens[pos + 1])
                lps[r][pos + 1 - s.start] = lp; greedy[r] = greedy[r] && top
            }
        }
        return finish(lps, greedy)
    }

    /// `auto`: the group's shared prefix through the model's own forward (its logits score the tokens
    /// inside the prefix; its keys and values are copied to the slot of every span that goes on), then
    /// every span's input after the prefix as rows of Generator forwards over the cache (span r in slot r
    /// at its own positions: consecutive rows of one slot are a causal prefill). Logits come back only
    /// for the rows that predict a scored token.
    func scorePacked(_ spans: [ScoredSpan], prefix p: Int) -> [SpanScore] {
        let vocab = model.config.vocabSize
        var lps = spans.map { [Float](repeating: 0, count: $0.tokens.count - $0.start) }
        var greedy = [Bool](repeating: true, count: spans.count)
        let a = prefill(Array(spans[0].tokens[0..<p]))
        for (r, s) in spans.enumerated() {
            for k in s.start..<min(p + 1, s.tokens.count) {
                let (lp, top) = logProb(a.logits.p + (k - 1) * vocab, target: s.tokens[k])
                lps[r][k - s.start] = lp; greedy[r] = greedy[r] && top
            }
        }
        // (slot, position) rows after the prefix; the row at position q predicts token q + 1.
        var rows: [(slot: Int, pos: Int)] = []
        for (r, s) in spans.enumerated() where s.tokens.count - 1 > p { for q in p..<(s.tokens.count - 1) { rows.append((r, q)) } }
        guard !rows.isEmpty else { return finish(lps, greedy) }
        let kvd = model.config.kvDim, ml = generator.maxLen
        for l in 0..<model.config.nLayers {
            for r in spans.indices where spans[r].tokens.count - 1 > p {
                (generator.kCache[l].p + r * ml * kvd).update(from: a.layers[l].k.p, count: p * kvd)
                (generator.vCache[l].p + r * ml * kvd).update(from: a.layers[l].v.p, count: p * kvd)
            }
        }
        var at = 0
        while at < rows.count {
            let part = rows[at..<min(rows.count, at + generator.rowCapacity)]
            var want: [Int32] = []   // output rows: those predicting a scored token
            for (i, row) in part.enumerated() {
                generator.tokBuf[i] = spans[row.slot].tokens[row.pos]
                generator.slotBuf[i] = Int32(row.slot); generator.posBuf[i] = Int32(row.pos)
                if row.pos + 1 >= spans[row.slot].start { want.append(Int32(i)) }
            }
            let logits = want.withUnsafeBufferPointer {
                generator.forward(tokens: generator.tokBuf, slots: generator.slotBuf, positions: generator.posBuf, rows: part.count,
                                  outputs: $0.baseAddress ?? UnsafePointer(generator.outBuf), outputCount: $0.count)
            }
            for (o, i) in want.enumerated() {
                let row = part[part.startIndex + Int(i)], s = spans[row.slot], k = row.pos + 1
                let (lp, top) = logProb(logits + o * vocab, target: s.tokens[k])
                lps[row.slot][k - s.start] = lp; greedy[row.slot] = greedy[row.slot] && top
            }
            steps += 1; at += part.count
        }
        return finish(lps, greedy)
    }

    func finish(_ lps: [[Float]], _ greedy: [Bool]) -> [SpanScore] {
        zip(lps, greedy).map { lp, g in SpanScore(logLikelihood: lp.reduce(0.0) { $0 + Double($1) }, isGreedy: g, tokenLogProbs: lp) }
    }

    /// One forward over `tokens` (padded at the end to a length bucket: causal attention keeps the
    /// padding out of every real position). Logits and K/V of position i are row i.
    func prefill(_ tokens: [Int32]) -> Activations {
        let a = activations(rows: 1, length: tokens.count)
        a.load(tokens: tokens + [Int32](repeating: 0, count: a.t - tokens.count))
        model.forward(a)
        prefills += 1
        return a
    }

    /// Each span's input as a row of one padded batch (the harness's way): one forward for the group.
    func scoreBatched(_ spans: [ScoredSpan]) -> [SpanScore] {
        let a = activations(rows: spans.count, length: spans.map { $0.tokens.count - 1 }.max()!)
        a.load(tokens: spans.flatMap { s in s.tokens.dropLast() + [Int32](repeating: 0, count: a.t - s.tokens.count + 1) })
        model.forward(a)
        prefills += 1
        let vocab = model.config.vocabSize
        var lps: [[Float]] = [], greedy: [Bool] = []
        for (r, s) in spans.enumerated() {
            var lp: [Float] = [], g = true
            for k in s.start..<s.tokens.count {
                let (l, top) = logProb(a.logits.p + (r * a.t + k - 1) * vocab, target: s.tokens[k])
                lp.append(l); g = g && top
            }
            lps.append(lp); greedy.append(g)
        }
        return finish(lps, greedy)
    }

    /// Activations for `rows` × a power-of-two length ≥ `length` (at most the model's context), kept
    /// for reuse (a few shapes at a time).
    func activations(rows: Int, length: Int) -> Activations {
        var t = 16
        while t < length { t *= 2 }
        t = min(t, model.config.maxSeqLen)
        let key = rows << 32 | t
        if let a = acts[key] { return a }
        if acts.count >= 4 { acts.removeAll() }   // bound the memory kept
        let a = Activations(config: model.config, b: rows, t: t)
        acts[key] = a
        return a
    }

    /// log softmax(row)[target], and whether target is the first argmax (torch's `argmax`): the
    /// max and the sum are the cross-entropy kernels; only a target at the max scans for an earlier tie.
    func logProb(_ row: UnsafeMutablePointer<Float>, target: Int32) -> (Float, Bool) {
        let vocab = model.config.vocabSize, t = Int(target)
        let mx = maxOf(row, vocab)
        let greedy = row[t] == mx && !(0..<t).contains { row[$0] == mx }
        return (row[t] - mx - logf(sumExp(row, vocab, shift: mx)), greedy)
    }
}
