import ArgumentParser
import Foundation
import SpindleIO
import SpindleShards
import SpindleTokenizer
import SpindleTrainer

/// `spindle model`: operations on checkpoints.
struct ModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model", abstract: "Change a checkpoint: grow its vocabulary to a merged tokenizer.",
        subcommands: [ModelResize.self])
}

struct ModelResize: Configurable {
    static let configuration = CommandConfiguration(
        commandName: "resize",
        abstract: "Grow a checkpoint's embedding and output matrices to a merged tokenizer's vocabulary.",
        discussion: """
        Every base row is kept; the rows of the pieces the merged tokenizer added (`spindle tokenizer merge`
        keeps every base id) are initialised as transformers' resize_token_embeddings(..., mean_resizing=True)
        does (--init mean: drawn from N(μ, 1e-9·Σ) of the base rows), or as the mean of the base rows of the
        pieces --base-tokenizer encodes each new piece's text into (--init piece-mean, Chinese-LLaMA's
        practice). The output checkpoint records the merged tokenizer, so later stages take shards packed
        with it (docs/ADAPT.md).

        examples:
          spindle tokenizer merge --base llama2.model --add zh.model -o merged.model
          spindle model resize --checkpoint runs/base/checkpoint --tokenizer merged.model -o runs/base-zh
          spindle model resize --checkpoint runs/base/checkpoint --tokenizer merged.model --init piece-mean \\
            --base-tokenizer llama2.model -o runs/base-zh
        """)

    @Option(help: "Checkpoint directory to grow.") var checkpoint: String
    @Option(help: "The merged SentencePiece .model (base ids first).") var tokenizer: String
    @Option(name: [.short, .long], help: "Output checkpoint directory.") var output: String
    @Option(name: .customLong("init"), help: "New rows: mean (transformers' mean_resizing) or piece-mean.") var initialisation = "mean"
    @Option(help: "The checkpoint's own tokenizer: needed by piece-mean; when given, base ids are checked.") var baseTokenizer: String?
    @Option(help: "Seed of mean's noise.") var seed: UInt64 = 0
    @Flag(help: "Replace a checkpoint already in --output.") var overwrite = false
    @OptionGroup var config: ConfigOptions

    func validate() throws {
        guard let i = VocabularyResize.Initialisation(rawValue: initialisation) else { throw ValidationError("--init must be mean or piece-mean") }
        if i == .pieceMean && baseTokenizer == nil { throw ValidationError("--init piece-mean needs --base-tokenizer") }
        if URL(fileURLWithPath: output).standardized == URL(fileURLWithPath: checkpoint).standardized {
            throw ValidationError("--output must differ from --checkpoint")
        }
    }

    func run() throws {
        BLASBackend.prepareProcess()
        let merged = try SentencePieceModel(contentsOf: tokenizer)
        let base = try baseTokenizer.map { try SentencePieceModel(contentsOf: $0) }
        if FileManager.default.fileExists(atPath: output + "/config.json") && !overwrite {
            throw ValidationError("\(output) holds a checkpoint: pass --overwrite to replace it")
        }
        let model = try Checkpoint.load(checkpoint)
        let v = model.config.vocabSize
        if let base {
            try Checkpoint.checkStamp(of: checkpoint, tokenizer: base, tokenizerName: baseTokenizer!)
            guard base.vocabSize == v else {
                throw ValidationError("--base-tokenizer has \(base.vocabSize) pieces, the model a vocabulary of \(v)")
            }
            if let bad = (0..<Int32(v)).first(where: { merged.piece($0) != base.piece($0) }) {
                throw ValidationError("\(tokenizer) changes base id \(bad) (\(base.piece(bad) ?? "?") -> \(merged.piece(bad) ?? "?")): not a merge of the base tokenizer")
            }
        }
        let i = VocabularyResize.Initialisation(rawValue: initialisation)!
        let pieces = i == .pieceMean ? basePieces(merged: merged, base: base!, from: v) : []
        let out = try VocabularyResize.resize(model, newVocab: merged.vocabSize, initialisation: i, pieces: pieces, seed: seed)
        let stamp = TokenizerStamp(fingerprint: merged.fingerprint, vocabSize: merged.vocabSize, bosID: merged.bosID, eosID: merged.eosID)
        try Checkpoint.save(out, to: output, stamp: stamp)
        let heads = model.config.tieEmbeddings || model.config.scoreHead ? "embedding" : "embedding and lm_head"
        StandardError.line("spindle model resize: vocabulary \(v) -> \(merged.vocabSize) (\(heads), \(merged.vocabSize - v) new rows, init \(initialisation)) -> \(output)")
    }

    /// For each new id, the base ids its piece's text encodes to (without the dummy-prefix "▁" a piece
    /// that does not start a word would get).
    func basePieces(merged: SentencePieceModel, base: SentencePieceModel, from v: Int) -> [[Int32]] {
        let space = base.pieceID("\u{2581}")
        return (v..<merged.vocabSize).map { id in
            let piece = merged.piece(Int32(id)) ?? ""
            var ids = base.encode(piece.replacingOccurrences(of: "\u{2581}", with: " "))
            if !piece.hasPrefix("\u{2581}"), let space, ids.first == space { ids.removeFirst() }
            return ids
        }
    }
}
