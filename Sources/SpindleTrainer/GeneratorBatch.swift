// GeneratorBatch.swift: sampling many sequences at once — each prompt prefilled once as a batch of
// positions, its keys and values copied into the cache slots of its K samples, then every sequence
// decoding together at its own position (prompts of different lengths in one batch), finished
// sequences dropped from the batch.
//
// Measured on the stories15M shape (random weights, 2 prompts of 32 tokens, 64 new tokens, temperature 1,
// top-p 1, 2 threads, one locked run on a busy 2-core host, wall time with loading): K = 8 went from
// 51.6 tokens/s (the old lockstep loop on 8 copies of each prompt, every prompt token a decoding step
// of 8 rows) to 155 tokens/s (this prefill and `matRows`). Against transformers' generate(
// num_return_sequences=K) with 1 thread each (bench/sample_k.sh, THREADS=1, load 13–17 on 2 cores):
// 1.35–3.31x at K = 4 and 1.25–1.56x at K = 16 over four runs; with 2 threads torch's threads collapsed
// on that busy host (17–52x), not a figure to quote until measured on a quiet machine.
import Foundation
import SpindleIO

/// One sequence to sample: which prompt, and the seed of its own random stream.
struct SampleRequest {
    var prompt: Int
    var seed: UInt64
}

extension Generator {
    /// Samples continuations of every prompt (at most `batch` of them); deterministic for a given seed
    /// (sequence i draws from its own generator seeded with seed + i). `isCancelled` is asked once per
    /// decoding step: when it says yes, the sequences so far come back (not `stopped`).
    public func generate(prompts: [[Int32]], options: SamplingOptions, onToken: ((Int, Int32) -> Void)? = nil,
                         isCancelled: (() -> Bool)? = nil) -> [Generation] {
        precondition(!prompts.isEmpty && prompts.count <= batch && prompts.allSatisfy { !$0.isEmpty })
        let requests = prompts.indices.map { SampleRequest(prompt: $0, seed: options.seed &+ UInt64($0)) }
        return sampleGroup(prompts: prompts, requests: requests, options: options, onToken: onToken, isCancelled: isCancelled)
    }

    /// K samples of every prompt: [prompt][k]. Sample k of prompt i draws from SeededRandom(s + k), where
    /// s = `promptSeeds[i]` when given, else `options.seed + i·K` (so the samples equal those of
    /// `generate(prompts:)` on K copies of each prompt). Sequences are sampled `batch` at a time; a
    /// prompt is prefilled once per batch its samples fall in.
    public func generate(prompts: [[Int32]], samplesPerPrompt k: Int, options: SamplingOptions, promptSeeds: [UInt64]? = nil,
                         isCancelled: (() -> Bool)? = nil) -> [[Generation]] {
        precondition(k >= 1 && prompts.allSatisfy { !$0.isEmpty } && (promptSeeds.map { $0.count == prompts.count } ?? true))
        var requests: [SampleRequest] = []
        for i in prompts.indices {
            let s = promptSeeds?[i] ?? options.seed &+ UInt64(i * k)
            for j in 0..<k { requests.append(SampleRequest(prompt: i, seed: s &+ UInt64(j))) }
        }
        var flat: [Generation] = []
        flat.reserveCapacity(requests.count)
        var start = 0
        while start < requests.count {
            let group = Array(requests[start..<min(requests.count, start + batch)])
            flat += sampleGroup(prompts: prompts, requests: group, options: options, onToken: nil, isCancelled: isCancelled)
            start += group.count
        }
        return prompts.indices.map { Array(flat[($0 * k)..<(($0 + 1) * k)]) }
    }

    /// Samples `requests` (at most `batch`; request r uses cache slot r): prefill of each distinct prompt
    /// into the slot of its first request, copies to the others, then decoding of the unfinished ones.
    func sampleGroup(prompts: [[Int32]], requests: [SampleRequest], options: SamplingOptions,
                     onToken: ((Int, Int32) -> Void)?, isCancelled: (() -> Bool)?) -> [Generation] {
        precondition(requests.count <= batch)
        let n = requests.count, vocab = model.config.vocabSize
        var rngs = requests.map { SeededRandom(seed: $0.seed) }
        var out = [Generation](repeating: Generation(tokens: [], logProbs: [], stopped: false), count: n)
        // A prompt samples only when its first new token fits the context (as in the lockstep loop).
        var live = requests.indices.filter { options.maxNewTokens > 0 && prompts[requests[$0].prompt].count < maxLen }
        if live.isEmpty || isCancelled?() == true { return out }
        // Requests with the same prompt tokens (K samples, or copies of a prompt) share one prefill.
        var groups: [(tokens: [Int32], rows: [Int])] = [], groupOf: [[Int32]: Int] = [:]
        for r in live {
            let p = prompts[requests[r].prompt]
            if let g = groupOf[p] { groups[g].rows.append(r) } else { groupOf[p] = groups.count; groups.append((p, [r])) }
        }
        prefill(groups)
        let firstRows = live, staged = sampleLogits.p
        var picks = sample(rows: live, logits: { staged + firstRows[$0] * vocab }, rngs: &rngs, options: options)
        while true {
            // Apply the picks; a sequence goes on while it has room (tokens and context) and did not stop.
            var next: [Int] = []
            for (j, r) in live.enumerated() {
                let (tok, lp) = picks[j]
                if let stop = options.stopToken, tok == stop { out[r].stopped = true; continue }
                out[r].tokens.append(tok); out[r].logProbs.append(lp)
                onToken?(r, tok)
                let len = prompts[requests[r].prompt].count + out[r].tokens.count   // the new token's position + 1
                if out[r].tokens.count < options.maxNewTokens && len < maxLen { next.append(r) }
            }
            live = next
            if live.isEmpty || isCancelled?() == true { return out }
            // One decoding step for the live sequences only: row j feeds sequence live[j]'s last token.
            for (j, r) in live.enumerated() {
                tokBuf[j] = out[r].tokens.last!
                slotBuf[j] = Int32(r)
                posBuf[j] = Int32(prompts[requests[r].prompt].count + out[r].tokens.count - 1)
            }
            let lg = forward(tokens: tokBuf, slots: slotBuf, positions: posBuf, rows: live.count, outputs: nil, outputCount: live.count)
            picks = sample(rows: live, logits: { lg + $0 * vocab }, rngs: &rngs, options: options)
        }
    }

    /// Runs each group's prompt through the model once, a chunk of positions per forward, into the cache
    /// slot of the group's first request; copies its keys and values into the other requests' slots and
    /// its last-position logits into `sampleLogits` row r for every request r of the group.
    func prefill(_ groups: [(tokens: [Int32], rows: [Int])]) {
        let vocab = model.config.vocabSize, kvd = model.config.kvDim
        var rows: [(token: Int32, slot: Int32, pos: Int32, lastOf: Int?)] = []
        for (g, group) in groups.enumerated() {
            let p = group.tokens
            for (i, t) in p.enumerated() { rows.append((t, Int32(group.rows[0]), Int32(i), i == p.count - 1 ? g : nil)) }
        }
        var start = 0
        while start < rows.count {
            let chunk = rows[start..<min(rows.count, start + rowCapacity)]
            var finished: [Int] = []
            for (j, row) in chunk.enumerated() {
                tokBuf[j] = row.token; slotBuf[j] = row.slot; posBuf[j] = row.pos
                if let g = row.lastOf { outBuf[finished.count] = Int32(j); finished.append(g) }
            }
            let lg = forward(tokens: tokBuf, slots: slotBuf, positions: posBuf, rows: chunk.count, outputs: outBuf,
                             outputCount: finished.count)
            for (o, g) in finished.enumerated() {
                for r in groups[g].rows { (sampleLogits.p + r * vocab).update(from: lg + o * vocab, count: vocab) }
            }
            start += chunk.count
        }
        // Share each prompt's cache: its first request's slot, positions 0..<count, into the others.
        for group in groups where group.rows.count > 1 {
            let count = group.tokens.count * kvd, src = group.rows[0] * maxLen * kvd
            for l in 0..<model.config.nLayers {
                for r in group.rows.dropFirst() {
                    (kCache[l].p + r * maxLen * kvd).update(from: kCache[l].p + src, count: count)
                    (vCache[l].p + r * maxLen * kvd).update(from: vCache[l].p + src, count: count)
                }
            }
        }
    }

    /// Draws the next token of each sequence `rows[j]` from `logits(j)` (overwritten), in parallel over
    /// rows: each row has its own random stream and its own scratch, so the picks do not depend on threads.
    func sample(rows: [Int], logits: (Int) -> UnsafeMutablePointer<Float>, rngs: inout [SeededRandom],
                options: SamplingOptions) -> [(Int32, Float)] {
        let vocab = model.config.vocabSize, index = sortIndex
        var picks = [(Int32, Float)](repeating: (0, 0), count: rows.count)
        rngs.withUnsafeMutableBufferPointer { rng in
            picks.withUnsafeMutableBufferPointer { pk in
                each(rows.count) { j in
                    pk[j] = sampleToken(logits(j), vocab: vocab, options: options, rng: &rng[rows[j]], index: index + j * vocab)
                }
            }
        }
        return picks
    }
}
