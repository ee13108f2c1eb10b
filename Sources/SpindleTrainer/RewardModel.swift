// RewardModel.swift: a Llama trunk with a scalar `score` head read at the last token of each
// sequence (HF LlamaForSequenceClassification), its ranking-loss training step and batched scoring.
import Foundation

/// One preference comparison as token ids.
public struct PreferenceTokens: Sendable, Equatable {
    public var chosen: [Int32]
    public var rejected: [Int32]
    /// 0 negligibly/unsure … 3 significantly better.
    public var degree: Int
    public var aspect: String
    /// Tokens of the shared prompt (the shards' `prompt_len`); nil: the shared prefix (`responseStart`).
    public var promptLength: Int?
    public init(chosen: [Int32], rejected: [Int32], degree: Int, aspect: String = "helpfulness", promptLength: Int? = nil) {
        self.chosen = chosen; self.rejected = rejected; self.degree = degree; self.aspect = aspect
        self.promptLength = promptLength
    }
}

/// What one reward-model step saw.
public struct RewardStepResult: Sendable {
    public var loss: Double        // mean over pairs
    public var accuracy: Double    // fraction with r_c > r_r
    public var meanMargin: Double  // mean r_c − r_r
    public var pairs: Int
}

/// A reward (or value) model: a score-head Llama and its step buffers.
public final class RewardModel {
    public let model: LlamaModel
    public let rows: Int, seqLen: Int
    let acts: Activations
    var scores: [Float], dScores: [Float]

    /// `rows` × `seqLen` tokens per forward pass.
    public init(model: LlamaModel, rows: Int, seqLen: Int) {
        precondition(model.layout.score >= 0, "a reward model needs a score head")
        self.model = model; self.rows = rows; self.seqLen = seqLen
        acts = Activations(config: model.config, b: rows, t: seqLen)
        scores = [Float](repeating: 0, count: rows * seqLen)
        dScores = scores
    }

    /// A reward model initialised from a language model (Llama 2: from the chat checkpoint): the
    /// same trunk, `lm_head` dropped, a fresh `score.weight` ~ N(0, 0.02) so initial rewards are near 0.
    public static func fromLanguageModel(_ lm: LlamaModel, seed: UInt64, head: RewardHead = RewardHead()) throws -> LlamaModel {
        var c = lm.config
        c.scoreHead = true
        c.scorePooling = head.pooling
        c.tieEmbeddings = false   // no LM head left to tie
        let rm = try LlamaModel(config: c, seed: seed)
        for t in rm.layout.tensors where t.name != "score.weight" {
            guard let src = lm.layout.tensor(named: t.name) else { continue }
            (rm.params.p + t.offset).update(from: lm.params.p + src.offset, count: t.count)
        }
        if head.initialization == .zero { (rm.params.p + rm.layout.score).update(repeating: 0, count: c.dim) }
        return rm
    }

    /// A reward model of shape `config` from the initialisation pretraining uses (N(0, 0.02) weights,
    /// unit norms), no trunk loaded: at CPU budgets the ablation in docs/POSTTRAIN.md found it ranks
    /// held-out HH pairs better than a trunk pretrained for minutes.
    public static func untrained(_ config: LlamaConfig, seed: UInt64, head: RewardHead = RewardHead()) throws -> LlamaModel {
        var c = config
        c.scoreHead = true
        c.tieEmbeddings = false
        c.scorePooling = head.pooling
        let rm = try LlamaModel(config: c, seed: seed)
        if head.initialization == .zero { (rm.params.p + rm.layout.score).update(repeating: 0, count: c.dim) }
        return rm
    }

    /// How the model pools token scores (its config's `scorePooling`).
    public var pooling: ScorePooling { model.config.scorePooling }

    /// Scores of whole sequences, in order, pooled as `pooling` says; `responseStarts[i]` is where
    /// sequence i's response begins (nil: all of it; only mean pooling reads it).
    public func score(_ sequences: [[Int32]], responseStarts: [Int]? = nil) -> [Float] {
        precondition(responseStarts == nil || responseStarts!.count == sequences.count)
        var out: [Float] = []
        out.reserveCapacity(sequences.count)
        var i = 0
        while i < sequences.count {
            var batch = SequenceBatch(b: rows, t: seqLen)
            let first = i
            while i < sequences.count && batch.fits([sequences[i].count]) { batch.append(sequences[i]); i += 1 }
            batch.load(into: acts)
            scores.withUnsafeMutableBufferPointer { model.scoreForward(acts, into: $0.baseAddress!) }
            for (k, s) in batch.spans.enumerated() {
                let j = first + k
                let taps = pooling.taps(s, t: seqLen, length: sequences[j].count, responseStart: responseStarts?[j])
                out.append(taps.reduce(0) { $0 + $1.weight * scores[$1.index] })
            }
        }
        return out
    }

    /// Accumulates the gradient of the mean ranking loss over `pairs` (scaled by `lossScale` per
    /// pair: 1 / pairs in the optimiser step) into the model's gradients. The pairs must fit one pass
    /// (`fits`); the caller zeroes gradients and steps the optimiser.
    public func accumulate(_ pairs: [PreferenceTokens], margins: MarginTable, lossScale: Float) -> (lossSum: Double, correct: Int, marginSum: Double) {
        var batch = SequenceBatch(b: rows, t: seqLen)
        for p in pairs { batch.append(p.chosen); batch.append(p.rejected) }
        batch.load(into: acts)
        scores.withUnsafeMutableBufferPointer { model.scoreForward(acts, into: $0.baseAddress!) }
        for i in dScores.indices { dScores[i] = 0 }
        var lossSum = 0.0, correct = 0, marginSum = 0.0
        for (k, p) in pairs.enumerated() {
            let start = p.responseStart
            let tc = pooling.taps(batch.spans[2 * k], t: seqLen, length: p.chosen.count, responseStart: start)
            let tr = pooling.taps(batch.spans[2 * k + 1], t: seqLen, length: p.rejected.count, responseStart: start)
            let rc = Double(tc.reduce(0) { $0 + $1.weight * scores[$1.index] })
            let rr = Double(tr.reduce(0) { $0 + $1.weight * scores[$1.index] })
            let r = rankingLoss(chosen: rc, rejected: rr, margin: margins.margin(degree: p.degree))
            lossSum += r.loss
            if rc > rr { correct += 1 }
            marginSum += rc - rr
            for (i, w) in tc { dScores[i] += Float(r.dChosen) * lossScale * w }
            for (i, w) in tr { dScores[i] += Float(r.dRejected) * lossScale * w }
        }
        dScores.withUnsafeBufferPointer { model.scoreBackward(acts, dScores: $0.baseAddress!) }
        return (lossSum, correct, marginSum)
    }

    /// Splits `pairs` into groups that each fit one forward pass, in order.
    public func groups(_ pairs: [PreferenceTokens]) -> [[PreferenceTokens]] {
        var out: [[PreferenceTokens]] = [], cur: [PreferenceTokens] = []
        var batch = SequenceBatch(b: rows, t: seqLen)
        for p in pairs {
            if !batch.fits([p.chosen.count, p.rejected.count]) {
                if !cur.isEmpty { out.append(cur) }
                cur = []; batch = SequenceBatch(b: rows, t: seqLen)
            }
            batch.append(p.chosen); batch.append(p.rejected); cur.append(p)
        }
        if !cur.isEmpty { out.append(cur) }
        return out
    }
}
