// ScorePooling.swift: where a reward model reads its scalar. The head is linear, so the score of a
// token set is the mean of the per-token scores (w · mean(h) = mean(w · h)) and its gradient spreads
// evenly over those tokens; `scoreForward` already computes every token's score.
//
//   sequence:  [prompt ........................][response ......... </s>]
//   last:                                                            ^ one tap, weight 1 (HF)
//   mean-response:                              ^^^^^^^^^^^^^^^^^^^^^^^ taps, weight 1/count
//
// With 1,109 HH harmless training pairs, a 2-layer nano trunk reads its answer through one token's
// attention badly; averaging over the answer is a learned bag of contextual features (see
// docs/POSTTRAIN.md, "what limits accuracy").

/// How a reward model pools per-token scores into the sequence's reward.
public enum ScorePooling: String, Sendable, CaseIterable {
    /// The last token (`</s>`), as transformers' LlamaForSequenceClassification reads it.
    case last
    /// The mean over the response tokens (those after the prompt, `</s>` included). transformers has
    /// no such head: such a checkpoint scores differently there (config.json says `spindle_score_pooling`).
    case meanResponse = "mean-response"

    /// Flat indices (row·t + position) and weights whose weighted sum of token scores is the reward
    /// of the sequence packed at `span`. `length` is the sequence's length before packing kept its
    /// last `t` tokens, `responseStart` its first response token (nil: the whole sequence is response).
    func taps(_ span: PackedSpan, t: Int, length: Int, responseStart: Int?) -> [(index: Int, weight: Float)] {
        let last = span.last(t: t)
        guard self == .meanResponse else { return [(last, 1)] }
        let cut = length - span.count                                  // tokens truncation removed on the left
        let first = min(max(0, (responseStart ?? 0) - cut), span.count - 1)
        let n = span.count - first, w = 1 / Float(n)
        return (0..<n).map { (span.row * t + span.start + first + $0, w) }
    }
}

extension PreferenceTokens {
    /// Where the responses start: the prompt length the shards recorded, else the shared prefix.
    public var responseStart: Int {
        if let promptLength { return promptLength }
        var i = 0
        while i < chosen.count && i < rejected.count && chosen[i] == rejected[i] { i += 1 }
        return i
    }
}

/// How a new score head starts.
public enum ScoreInit: String, Sendable, CaseIterable {
    /// N(0, 0.02), transformers' `initializer_range` (initial rewards near 0, not 0).
    case normal
    /// All zeros: every initial reward is exactly 0 and the first step moves only the head.
    case zero
}

/// The head a reward-model run puts on a language-model trunk.
public struct RewardHead: Sendable, Equatable {
    public var pooling: ScorePooling = .last
    public var initialization: ScoreInit = .normal
    public init(pooling: ScorePooling = .last, initialization: ScoreInit = .normal) {
        self.pooling = pooling; self.initialization = initialization
    }
}
