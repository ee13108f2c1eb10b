// DPOBatch.swift: preference pairs as DPO reads them, packed two sequences at a time (a pair's chosen
// and rejected answers always share a forward pass) into rows×t, with a loss mask on response tokens
// only; summed response log-probs of a frozen reference, and the policy's forward/backward with the DPO
// loss's gradient ∂L/∂log π(y) spread over every response token of y (log π(y) = Σ_j log π(y_j | …)).
import Foundation
import SpindleIO
import SpindleShards

/// One preference pair: both full sequences (prompt + answer + `</s>`, as `spindle pack preference`
/// writes them), where the answer starts, and the degree (0 negligibly … 3 significantly better).
public struct DPOPair: Sendable, Equatable {
    public var chosen: [Int32], rejected: [Int32]
    public var promptLength: Int
    public var degree: Int
    public var aspect: String
    public init(chosen: [Int32], rejected: [Int32], promptLength: Int, degree: Int, aspect: String = "helpfulness") {
        self.chosen = chosen; self.rejected = rejected; self.promptLength = promptLength; self.degree = degree; self.aspect = aspect
    }
}

extension PostTrainDataDPO {
    /// Every pair of preference shards, in shard order, with the prompt length.
    public static func pairs(_ ds: ShardDataset) throws -> [DPOPair] {
        try (0..<ds.count).map { i in
            let p = try ds.pair(i)
            return DPOPair(chosen: p.chosenIDs, rejected: p.rejectedIDs, promptLength: p.promptLength, degree: p.degree.rawValue, aspect: p.aspect)
        }
    }
}

/// Namespace for DPO's data helpers.
public enum PostTrainDataDPO {}

/// A pair's place in a pass.
struct DPOMember {
    var pair: Int
    var chosen: PackedSpan, rejected: PackedSpan
}

/// What a policy pass measured, summed over its pairs.
public struct DPOStepStats: Sendable {
    public var pairs = 0, correct = 0
    public var lossSum = 0.0, rewardChosenSum = 0.0, rewardRejectedSum = 0.0
    public var logpChosenSum = 0.0, logpRejectedSum = 0.0
    public init() {}
    mutating func add(_ l: DPOPairLoss, _ lp: DPOPairLogProbs) {
        pairs += 1; if l.correct { correct += 1 }
        lossSum += l.loss; rewardChosenSum += l.rewardChosen; rewardRejectedSum += l.rewardRejected
        logpChosenSum += lp.chosen; logpRejectedSum += lp.rejected
    }
}

/// Packs pairs into passes of `rows`×`t` and scores or trains on them.
final class DPOScorer {
    let acts: Activations
    var t: Int { acts.t }

    init(config: LlamaConfig, rows: Int, seqLen: Int) {
        acts = Activations(config: config, b: max(2, rows), t: min(seqLen, config.maxSeqLen))
    }

    /// Sequence indices of the response tokens scored for a sequence of `count` tokens whose answer
    /// starts at `promptLength`, after keeping its last `t` tokens (token j is predicted at j − 1).
    static func responseRange(count: Int, promptLength: Int, t: Int) -> Range<Int> {
        let trimmed = max(0, count - t)
        return min(count, max(promptLength, trimmed + 1))..<count
    }

    /// Checks that every sequence keeps at least one response token in a row of `t`.
    static func check(_ pairs: [DPOPair], t: Int, name: String) throws {
        for (i, p) in pairs.enumerated() {
            for (seq, which) in [(p.chosen, "chosen"), (p.rejected, "rejected")] where responseRange(count: seq.count, promptLength: p.promptLength, t: t).isEmpty {
                throw TrainerError.data(file: name, line: nil, message: "pair \(i): the \(which) sequence has no response token to score (prompt_len \(p.promptLength), \(seq.count) tokens)")
            }
        }
    }

    /// Flat index of the position predicting sequence token `j` of a packed span.
    @inline(__always) func flat(_ s: PackedSpan, _ j: Int, count: Int) -> Int { s.row * t + s.start + (j - (count - s.count)) - 1 }

    /// Packs `indices` of `pairs` into passes; loads each with a loss mask on response tokens and calls `body`.
    func passes(_ pairs: [DPOPair], _ indices: [Int], _ body: ([DPOMember]) throws -> Void) rethrows {
        var k = 0
        while k < indices.count {
            var batch = SequenceBatch(b: acts.b, t: t)
            var members: [DPOMember] = []
            while k < indices.count {
                let p = pairs[indices[k]]
                guard batch.fits([p.chosen.count, p.rejected.count]) else { break }
                members.append(DPOMember(pair: indices[k], chosen: batch.append(p.chosen), rejected: batch.append(p.rejected)))
                k += 1
            }
            precondition(!members.isEmpty, "a pair does not fit an empty pass")
            var mask = [UInt8](repeating: 0, count: acts.b * t)
            for m in members {
                let p = pairs[m.pair]
                for (s, seq) in [(m.chosen, p.chosen), (m.rejected, p.rejected)] {
                    for j in Self.responseRange(count: seq.count, promptLength: p.promptLength, t: t) { mask[flat(s, j, count: seq.count) + 1] = 1 }
                }
            }
            acts.load(tokens: batch.tokens, segments: batch.segments, lossMask: mask)
            try body(members)
        }
    }

    /// Σ log p over the response tokens of one packed sequence, and their number.
    func responseSum(_ logp: UnsafePointer<Float>, _ s: PackedSpan, _ seq: [Int32], promptLength: Int) -> (Double, Int) {
        let r = Self.responseRange(count: seq.count, promptLength: promptLength, t: t)
        var sum = 0.0
        for j in r { sum += Double(logp[flat(s, j, count: seq.count)]) }
        return (sum, r.count)
    }

    /// Summed response log-probs of `model` (no gradient) for `indices` of `pairs`: (chosen, rejected, n_c, n_r).
    func logProbs(_ model: LlamaModel, _ pairs: [DPOPair], _ indices: [Int]) -> [Int: DPOReferenceEntry] {
        var out: [Int: DPOReferenceEntry] = [:]
        var buf = [Float](repeating: 0, count: acts.b * t)
        passes(pairs, indices) { members in
            buf.withUnsafeMutableBufferPointer { model.logProbs(acts, into: $0.baseAddress!) }
            buf.withUnsafeBufferPointer { lp in
                for m in members {
                    let p = pairs[m.pair]
                    let c = responseSum(lp.baseAddress!, m.chosen, p.chosen, promptLength: p.promptLength)
                    let r = responseSum(lp.baseAddress!, m.rejected, p.rejected, promptLength: p.promptLength)
                    out[m.pair] = DPOReferenceEntry(chosen: c.0, rejected: r.0, chosenTokens: c.1, rejectedTokens: r.1)
                }
            }
        }
        return out
    }

    /// Forward and backward of the DPO loss of `indices` (each pair's loss times `scale` is added to
    /// the model's gradients), with the reference log-probs `ref[pair]`.
    func accumulate(_ model: LlamaModel, _ pairs: [DPOPair], _ indices: [Int], ref: (Int) -> DPOReferenceEntry,
                    settings: DPOLossSettings, scale: Double) -> DPOStepStats {
        var stats = DPOStepStats()
        var logpBuf = [Float](repeating: 0, count: acts.b * t), entBuf = logpBuf
        passes(pairs, indices) { members in
            logpBuf.withUnsafeMutableBufferPointer { lp in
                entBuf.withUnsafeMutableBufferPointer { en in
                    model.policyForwardBackward(acts, logp: lp.baseAddress!, entropy: en.baseAddress!) { logp, coef in
                        for m in members {
                            let p = pairs[m.pair], rf = ref(m.pair)
                            let c = responseSum(logp, m.chosen, p.chosen, promptLength: p.promptLength)
                            let r = responseSum(logp, m.rejected, p.rejected, promptLength: p.promptLength)
                            let lp = DPOPairLogProbs(chosen: c.0, rejected: r.0, refChosen: rf.chosen, refRejected: rf.rejected,
                                                     chosenTokens: c.1, rejectedTokens: r.1)
                            let l = dpoLoss(lp, degree: p.degree, settings: settings)
                            stats.add(l, lp)
                            for (s, seq, g) in [(m.chosen, p.chosen, l.dChosen), (m.rejected, p.rejected, l.dRejected)] {
                                for j in Self.responseRange(count: seq.count, promptLength: p.promptLength, t: t) {
                                    coef[flat(s, j, count: seq.count)] = Float(g * scale)
                                }
                            }
                        }
                    }
                }
            }
        }
        return stats
    }
}
