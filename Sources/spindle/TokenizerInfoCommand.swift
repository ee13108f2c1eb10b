import ArgumentParser
import SpindleTokenizer

struct TokenizerInfoCommand: Configurable {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Show a model's size, special pieces, normaliser and trainer settings, and a sample encoding.")

    @Option(help: "SentencePiece .model file.") var model: String
    @OptionGroup var config: ConfigOptions
    @Option(help: "Text to encode as a sample.") var sample: String = "Hello world! 1234 ünïcödé 你好 🙂"

    func run() throws {
        let m = try SentencePieceModel(contentsOf: model)
        let p = m.proto
        var counts: [PieceType: Int] = [:]
        for piece in p.pieces { counts[piece.type, default: 0] += 1 }
        print("model        \(model)")
        print("fingerprint  sha256:\(m.fingerprint)")
        print("vocab_size   \(m.vocabSize)")
        print("piece types  " + PieceType.allCases.compactMap { t in counts[t].map { "\(t.name)=\($0)" } }.joined(separator: " "))
        func special(_ name: String, _ id: Int32) -> String { id >= 0 ? "\(name)=\(id) \(m.piece(id)!.debugDescription)" : "\(name)=none" }
        print("special      " + [special("unk", m.unkID), special("bos", m.bosID), special("eos", m.eosID), special("pad", m.padID)].joined(separator: "  "))
        let ctl = p.pieces.enumerated().filter { $0.element.type == .control || $0.element.type == .userDefined }
        if ctl.count > 0 {
            print("control/user " + ctl.prefix(20).map { "\($0.offset):\($0.element.piece)" }.joined(separator: " ") + (ctl.count > 20 ? " …" : ""))
        }
        let ns = p.normalizerSpec
        print("normalizer   name=\(ns.name) add_dummy_prefix=\(ns.addDummyPrefix) remove_extra_whitespaces=\(ns.removeExtraWhitespaces) escape_whitespaces=\(ns.escapeWhitespaces) charsmap_bytes=\(ns.precompiledCharsmap.count)")
        let t = p.trainerSpec
        print("trainer      model_type=\(t.modelType) vocab_size=\(t.vocabSize) byte_fallback=\(t.byteFallback) split_digits=\(t.splitDigits) character_coverage=\(t.characterCoverage) max_sentencepiece_length=\(t.maxSentencepieceLength)")
        print("             split_by_unicode_script=\(t.splitByUnicodeScript) split_by_whitespace=\(t.splitByWhitespace) allow_whitespace_only_pieces=\(t.allowWhitespaceOnlyPieces) input_sentence_size=\(t.inputSentenceSize) num_threads=\(t.numThreads)")
        let ids = m.encode(sample)
        print("sample       \(sample.debugDescription)")
        print("  pieces     " + ids.map { m.piece($0)! }.joined(separator: " "))
        print("  ids        " + ids.map(String.init).joined(separator: " "))
    }
}
