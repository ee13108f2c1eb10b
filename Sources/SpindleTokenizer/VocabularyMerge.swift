// Extending a base vocabulary with another model's pieces (as Chinese-LLaMA-Alpaca extended Llama's
// 32K vocabulary): every base piece keeps its id and score; new pieces are appended in the added
// model's order.

public struct VocabularyMergeResult: Sendable {
    public var model: ModelProto
    public var added: Int
    public var skippedExisting: Int
}

public enum NewPieceScores: String, Sendable {
    /// Below every regular base score, keeping the added model's order (base merges win ties).
    case below
    /// Score 0, as Chinese-LLaMA-Alpaca's merge script does (new pieces merge first).
    case zero
}

/// Appends the NORMAL and USER_DEFINED pieces of `add` that `base` lacks. Base ids never change.
public func mergeVocabularies(base: ModelProto, add: ModelProto, scores: NewPieceScores = .below) -> VocabularyMergeResult {
    var out = base
    var have = Set(base.pieces.map(\.piece))
    // Meta sentinels such as Llama's -1e9 on whitespace pieces are ignored when finding the floor.
    let regular = base.pieces.filter { ($0.type == .normal || $0.type == .userDefined) && $0.score > -1e8 }.map(\.score)
    let floor = regular.min() ?? 0
    var added = 0, skipped = 0
    for p in add.pieces where p.type == .normal || p.type == .userDefined {
        if have.contains(p.piece) { skipped += 1; continue }
        have.insert(p.piece)
        let score: Float = scores == .zero ? 0 : floor - 1 - Float(added)
        out.pieces.append(Piece(p.piece, score: score, type: p.type))
        added += 1
    }
    if out.hasTrainerSpec { out.trainerSpec.vocabSize = out.pieces.count }
    return VocabularyMergeResult(model: out, added: added, skippedExisting: skipped)
}
