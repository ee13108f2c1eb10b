// Step 5 of training: the model. Pieces in sentencepiece's BPE layout — meta pieces at their ids, the
// 256 byte pieces, the merged pieces in merge order, then the alphabet — with scores 0, -1, -2, ... after
// the fixed pieces, and the trainer and normaliser specs that describe how the model was made.

extension BPETrainer {
    /// The model of the learned pieces: `merged` are symbols of `symbols`, in merge order.
    func assembleModel(meta: [Piece], merged: [Int32], alphabet: [UInt32], symbols: borrowing SymbolTable) -> ModelProto {
        var pieces = meta
        if options.byteFallback {
            let hex = Array("0123456789ABCDEF")
            for b in 0..<256 { pieces.append(Piece("<0x\(hex[b >> 4])\(hex[b & 15])>", score: 0, type: .byte)) }
        }
        var k = 0
        for s in merged { pieces.append(Piece(symbols.string(s), score: -Float(k))); k += 1 }
        for c in alphabet { pieces.append(Piece(String(Unicode.Scalar(c)!), score: -Float(k))); k += 1 }
        return ModelProto(pieces: pieces, trainerSpec: trainerSpec(), normalizerSpec: normalizerSpec())
    }

    /// The unknown, control and user-defined pieces in id order; each is added to `symbols` as frozen,
    /// so merges never rebuild a meta piece's string.
    func metaPieces(symbols: inout SymbolTable) throws(TrainingError) -> [Piece] {
        let o = options
        var fixed: [(Int, Piece)] = []
        if o.unkID < 0 { throw TrainingError("unk_id must be >= 0") }
        fixed.append((o.unkID, Piece(o.unkPiece, score: 0, type: .unknown)))
        if o.bosID >= 0 { fixed.append((o.bosID, Piece(o.bosPiece, score: 0, type: .control))) }
        if o.eosID >= 0 { fixed.append((o.eosID, Piece(o.eosPiece, score: 0, type: .control))) }
        if o.padID >= 0 { fixed.append((o.padID, Piece(o.padPiece, score: 0, type: .control))) }
        var rest = o.controlSymbols.map { Piece($0, score: 0, type: .control) }
            + o.userDefinedSymbols.map { Piece($0, score: 0, type: .userDefined) }
        let total = fixed.count + rest.count
        var slots = [Piece?](repeating: nil, count: total)
        for (id, p) in fixed {
            guard id < total else { throw TrainingError("special id \(id) for \(p.piece) must be < \(total) (the number of meta pieces)") }
            guard slots[id] == nil else { throw TrainingError("special id \(id) is used twice") }
            slots[id] = p
        }
        var seen = Set<String>()
        for i in 0..<total where slots[i] == nil { slots[i] = rest.removeFirst() }
        let pieces = slots.map { $0! }
        for p in pieces {
            guard !p.piece.isEmpty else { throw TrainingError("empty control or user-defined symbol") }
            guard seen.insert(p.piece).inserted else { throw TrainingError("symbol \(p.piece.debugDescription) is defined twice") }
            // Merges must never rebuild a meta piece's string.
            symbols.add(Array(p.piece.utf8), info: SymInfo.make(chars: p.piece.unicodeScalars.count, allWS: false, startsWS: false,
                                                               digit: false, frozen: true, script: Self.anyScript))
        }
        return pieces
    }

    private func trainerSpec() -> TrainerSpec {
        let o = options
        var t = TrainerSpec()
        t.input = o.inputs
        t.modelPrefix = o.modelPrefix
        t.modelType = .bpe
        t.vocabSize = o.vocabSize
        t.selfTestSampleSize = 0
        t.inputFormat = o.inputFormat
        t.characterCoverage = Float(o.characterCoverage)
        t.inputSentenceSize = o.inputSentenceSize
        t.seedSentencepieceSize = 1_000_000
        t.shrinkingFactor = 0.75
        t.numThreads = o.numThreads
        t.numSubIterations = 2
        t.maxSentenceLength = o.maxSentenceLength
        t.shuffleInputSentence = o.shuffleInputSentence
        t.maxSentencepieceLength = o.maxSentencepieceLength
        t.splitByUnicodeScript = o.splitByUnicodeScript
        t.splitByWhitespace = true
        t.splitByNumber = o.splitByNumber
        t.treatWhitespaceAsSuffix = false
        t.splitDigits = o.splitDigits
        t.allowWhitespaceOnlyPieces = o.allowWhitespaceOnlyPieces
        if !o.controlSymbols.isEmpty { t.controlSymbols = o.controlSymbols }
        if !o.userDefinedSymbols.isEmpty { t.userDefinedSymbols = o.userDefinedSymbols }
        t.vocabularyOutputPieceScore = true
        t.hardVocabLimit = o.hardVocabLimit
        t.useAllVocab = false
        t.byteFallback = o.byteFallback
        t.requiredChars = ""
        t.unkID = o.unkID; t.bosID = o.bosID; t.eosID = o.eosID; t.padID = o.padID
        t.unkSurface = o.unkSurface
        t.unkPiece = o.unkPiece; t.bosPiece = o.bosPiece; t.eosPiece = o.eosPiece; t.padPiece = o.padPiece
        t.trainExtremelyLargeCorpus = false
        t.enableDifferentialPrivacy = false
        t.differentialPrivacyNoiseLevel = 0
        t.differentialPrivacyClippingThreshold = 0
        return t
    }

    private func normalizerSpec() -> NormalizerSpec {
        var n = NormalizerSpec()
        n.name = "identity"
        n.precompiledCharsmap = []
        n.addDummyPrefix = true
        n.removeExtraWhitespaces = false
        n.escapeWhitespaces = true
        n.normalizationRuleTSV = ""
        return n
    }
}
