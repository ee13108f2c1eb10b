import ArgumentParser
import SpindleIO
import SpindleTokenizer

struct TokenizerMergeCommand: Configurable {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Extend a base model with another model's new pieces, keeping every base id stable.",
        discussion: """
        Appends the NORMAL and USER_DEFINED pieces of --add that --base lacks (in
        --add's order), as Chinese-LLaMA-Alpaca extended Llama 2's 32K vocabulary
        with Chinese pieces:
          spindle tokenizer train --input zh.txt --model_prefix zh --vocab_size 20000
          spindle tokenizer merge --base tokenizer.model --add zh.model \
            --output merged.model
        New pieces score below every regular base piece by default (--new-scores
        below), so base merges keep priority; --new-scores zero reproduces the
        Chinese-LLaMA script.
        """)

    @Option(help: "Base .model (its ids are kept).") var base: String
    @Option(help: "Model whose new pieces are appended.") var add: String
    @Option(name: [.short, .long], help: "Output .model (written atomically); a .vocab is written beside it.") var output: String
    @Option(name: .customLong("new-scores"), help: "below or zero.") var newScores: String = "below"
    @OptionGroup var config: ConfigOptions
    @OptionGroup var overwriting: OverwriteOption

    func validate() throws {
        guard NewPieceScores(rawValue: newScores) != nil else { throw ValidationError("--new-scores must be below or zero") }
    }

    func run() throws {
        let a = try ModelProto(contentsOf: base), b = try ModelProto(contentsOf: add)
        let r = mergeVocabularies(base: a, add: b, scores: NewPieceScores(rawValue: newScores)!)
        _ = try SentencePieceModel(proto: r.model)   // the merged model must load
        try OutputFile.write(r.model.serialized(), to: output, compress: false)
        try OutputFile.write(vocabText(r.model), to: vocabPath(output), compress: false)
        StandardError.line("spindle tokenizer merge: \(a.pieces.count) base pieces + \(r.added) new (\(r.skippedExisting) already present) = \(r.model.pieces.count) -> \(output)")
    }
}

/// PREFIX.vocab beside PREFIX.model (or NAME.vocab beside any other NAME).
func vocabPath(_ model: String) -> String {
    model.hasSuffix(".model") ? String(model.dropLast(6)) + ".vocab" : model + ".vocab"
}
