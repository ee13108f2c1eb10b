// GeneratorSlots.swift: continuous batching — sequences join a running batch when they arrive and leave
// it when they finish or are dropped, each in its own cache slot at its own position, one forward a step
// for all of them. The generator runs `batchInvariant`, so a sequence's tokens are those it would get
// decoding alone (the same prompt prefill, the same per-row products, its own random stream).
import Foundation
import SpindleIO

/// What one decoding step did to one sequence.
public struct SlotToken: Sendable, Equatable {
    public var slot: Int
    /// The new token, or nil when the sequence sampled its stop token.
    public var token: Int32?
    /// The sequence is over (stop token, `maxNewTokens`, or the context is full); its slot is free again.
    public var finished: Bool
    /// It ended on the stop token.
    public var stopped: Bool
}

/// Up to `capacity` sequences decoding together, admitted and removed between steps.
public final class GeneratorSlots {
    struct Sequence {
        var promptCount: Int
        var options: SamplingOptions
        var rng: SeededRandom
        var tokens: [Int32] = []
        /// Its next-token logits are waiting in `sampleLogits` (just prefilled): no forward needed.
        var prefilled = true
    }

    public let generator: Generator
    private var sequences: [Sequence?]

    /// `capacity` ≤ `Generator.smallRows` (32), so every decoding product stays batch-invariant.
    public init(model: LlamaModel, capacity: Int, threads: Int? = nil) {
        precondition(capacity >= 1 && capacity <= Generator.smallRows)
        generator = Generator(model: model, batch: capacity, maxLen: model.config.maxSeqLen, threads: threads)
        generator.batchInvariant = true
        sequences = Array(repeating: nil, count: capacity)
    }

    public var capacity: Int { sequences.count }
    public var freeSlots: Int { sequences.reduce(0) { $0 + ($1 == nil ? 1 : 0) } }
    public var activeSlots: [Int] { sequences.indices.filter { sequences[$0] != nil } }
    /// The context length: a prompt must be shorter to be admitted.
    public var maxLen: Int { generator.maxLen }

    /// Prefills `prompt` once for `seeds.count` sequences (sequence i draws from SeededRandom(seeds[i])),
    /// each in a free slot; returns the slots, or nil when there are not enough free ones. The prompt must
    /// be non-empty, shorter than the context, and `options.maxNewTokens` ≥ 1.
    public func admit(prompt: [Int32], seeds: [UInt64], options: SamplingOptions) -> [Int]? {
        precondition(!prompt.isEmpty && prompt.count < maxLen && options.maxNewTokens >= 1 && !seeds.isEmpty)
        let free = sequences.indices.filter { sequences[$0] == nil }
        guard free.count >= seeds.count else { return nil }
        let slots = Array(free.prefix(seeds.count))
        generator.prefill([(tokens: prompt, rows: slots)])
        for (i, s) in slots.enumerated() {
            sequences[s] = Sequence(promptCount: prompt.count, options: options, rng: SeededRandom(seed: seeds[i]))
        }
        return slots
    }

    /// Frees a slot at once (a client gone); its sequence is dropped.
    public func remove(slot: Int) { sequences[slot] = nil }

    /// One step for every active sequence: a forward of those that fed a token last step, then a token
    /// drawn for each. Finished sequences leave their slots. Returns one entry per active sequence.
    public func step() -> [SlotToken] {
        let g = generator, vocab = g.model.config.vocabSize
        let active = activeSlots
        guard !active.isEmpty else { return [] }
        let fed = active.filter { !sequences[$0]!.prefilled }
        var logitsOf: [Int: UnsafeMutablePointer<Float>] = [:]
        if !fed.isEmpty {
            for (j, s) in fed.enumerated() {
                let q = sequences[s]!
                g.tokBuf[j] = q.tokens.last!
                g.slotBuf[j] = Int32(s)
                g.posBuf[j] = Int32(q.promptCount + q.tokens.count - 1)
            }
            let lg = g.forward(tokens: g.tokBuf, slots: g.slotBuf, positions: g.posBuf, rows: fed.count, outputs: nil, outputCount: fed.count)
            for (j, s) in fed.enumerated() { logitsOf[s] = lg + j * vocab }
        }
        for s in active where logitsOf[s] == nil { logitsOf[s] = g.sampleLogits.p + s * vocab }
        // Draw in parallel over sequences: each has its own stream, options and scratch.
        var picks = [(Int32, Float)](repeating: (0, 0), count: active.count)
        var seqs = active.map { sequences[$0]! }
        let index = g.sortIndex, pointers = active.map { logitsOf[$0]! }
        seqs.withUnsafeMutableBufferPointer { q in
            picks.withUnsafeMutableBufferPointer { pk in
                g.each(active.count) { j in
                    pk[j] = sampleToken(pointers[j], vocab: vocab, options: q[j].options, rng: &q[j].rng, index: index + j * vocab)
                }
            }
        }
        var out: [SlotToken] = []
        for (j, s) in active.enumerated() {
            var q = seqs[j]
            q.prefilled = false
            let tok = picks[j].0
            if let stop = q.options.stopToken, tok == stop {
                sequences[s] = nil
                out.append(SlotToken(slot: s, token: nil, finished: true, stopped: true))
                continue
            }
            q.tokens.append(tok)
            let more = q.tokens.count < q.options.maxNewTokens && q.promptCount + q.tokens.count < maxLen
            sequences[s] = more ? q : nil
            out.append(SlotToken(slot: s, token: tok, finished: !more, stopped: false))
        }
        return out
    }
}
