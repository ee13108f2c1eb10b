// Scorer.swift: per-token log-probabilities of given sequences (spindle score, evaluation, RL).

/// Computes log p(t[i+1] | t[...i]) for whole sequences with one forward pass each.
public final class Scorer {
    public let model: LlamaModel
    var acts: Activations?
    var out: [Float] = []

    public init(model: LlamaModel) { self.model = model }

    /// The T−1 next-token log-probs of `tokens` (T ≥ 1; empty result for T = 1).
    public func logProbs(_ tokens: [Int32]) throws -> [Float] {
        let c = model.config
        guard model.layout.head >= 0 else {
            throw TrainerError.config(field: "architectures", message: "a reward model (score head) has no next-token head to score with")
        }
        guard !tokens.isEmpty else { return [] }
        guard tokens.count <= c.maxSeqLen else {
            throw TrainerError.data(file: "input", line: nil, message: "sequence of \(tokens.count) tokens exceeds max_position_embeddings \(c.maxSeqLen)")
        }
        if let bad = tokens.first(where: { $0 < 0 || Int($0) >= c.vocabSize }) {
            throw TrainerError.data(file: "input", line: nil, message: "token id \(bad) outside the vocabulary of \(c.vocabSize)")
        }
        if acts?.t != tokens.count { acts = Activations(config: c, b: 1, t: tokens.count) }
        let a = acts!
        a.load(tokens: tokens)
        if out.count < tokens.count { out = [Float](repeating: 0, count: tokens.count) }
        out.withUnsafeMutableBufferPointer { model.logProbs(a, into: $0.baseAddress!) }
        return Array(out[0..<(tokens.count - 1)])
    }
}
