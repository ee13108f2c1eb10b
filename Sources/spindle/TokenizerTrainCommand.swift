import ArgumentParser
import SpindleIO
import SpindleTokenizer

struct TokenizerTrainCommand: Configurable {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a SentencePiece-compatible BPE model (spm_train's flags; Llama 2's settings by default).",
        discussion: """
        Writes PREFIX.model (SentencePiece ModelProto: loads in sentencepiece and
        Hugging Face) and PREFIX.vocab (piece<TAB>score). The whole corpus is used
        unless --input_sentence_size samples it; --memory-budget bounds the merge
        tables by pruning the rarest words instead.
          spindle tokenizer train --input corpus.txt --model_prefix llama_like \
            --vocab_size 32000
          spindle ingest … |
            spindle tokenizer train --input - --input_format jsonl --model_prefix m
        Preset llama2 (the default): byte_fallback, split_digits, character_coverage
        0.99995, max_sentencepiece_length 16, allow_whitespace_only_pieces, identity
        normalisation with a dummy prefix, unk=0 <s>=1 </s>=2. Boolean flags take a
        value: --byte_fallback=false. Same input and flags give a byte-identical
        .model.
        """)

    @Option(name: .customLong("input"), help: "Comma-separated input files; '-' is stdin.") var input: String
    @Option(name: .customLong("input_format"), help: "text (one sentence per line) or jsonl.") var inputFormat: String = "text"
    @Option(name: .customLong("field"), help: "JSONL text field.") var field: String = "text"
    @Option(name: .customLong("model_prefix"), help: "Output prefix: PREFIX.model and PREFIX.vocab.") var modelPrefix: String
    @Option(name: .customLong("model_type"), help: "Only bpe.") var modelType: String = "bpe"
    @Option(name: .customLong("preset"), help: "Defaults to start from: llama2.") var preset: String = "llama2"
    @Option(name: .customLong("vocab_size")) var vocabSize: Int?
    @Option(name: .customLong("character_coverage")) var characterCoverage: Double?
    @Option(name: .customLong("byte_fallback")) var byteFallback: Bool?
    @Option(name: .customLong("split_digits")) var splitDigits: Bool?
    @Option(name: .customLong("split_by_unicode_script")) var splitByUnicodeScript: Bool?
    @Option(name: .customLong("split_by_number")) var splitByNumber: Bool?
    @Option(name: .customLong("allow_whitespace_only_pieces")) var allowWhitespaceOnlyPieces: Bool?
    @Option(name: .customLong("max_sentencepiece_length")) var maxSentencepieceLength: Int?
    @Option(name: .customLong("max_sentence_length")) var maxSentenceLength: Int?
    @Option(name: .customLong("user_defined_symbols"), help: "Comma-separated.") var userDefinedSymbols: String?
    @Option(name: .customLong("control_symbols"), help: "Comma-separated.") var controlSymbols: String?
    @Option(name: .customLong("input_sentence_size"), help: "Sample this many sentences (0: all).") var inputSentenceSize: Int?
    @Option(name: .customLong("shuffle_input_sentence")) var shuffleInputSentence: Bool?
    @Option(name: .customLong("num_threads")) var numThreads: Int?
    @Option(name: .customLong("seed")) var seed: UInt64?
    @Option(name: .customLong("hard_vocab_limit")) var hardVocabLimit: Bool?
    @Option(name: .customLong("memory-budget"), help: "Bound for the merge tables, e.g. 800M or 2G.") var memoryBudget: String?
    @Option(name: .customLong("unk_id")) var unkID: Int?
    @Option(name: .customLong("bos_id")) var bosID: Int?
    @Option(name: .customLong("eos_id")) var eosID: Int?
    @Option(name: .customLong("pad_id")) var padID: Int?
    @OptionGroup var config: ConfigOptions
    @OptionGroup var overwriting: OverwriteOption

    func validate() throws {
        guard modelType == "bpe" else { throw ValidationError("--model_type \(modelType): only bpe is supported") }
        guard preset == "llama2" else { throw ValidationError("--preset \(preset): unknown (known: llama2)") }
        guard inputFormat == "text" || inputFormat == "jsonl" else { throw ValidationError("--input_format must be text or jsonl") }
        // sentencepiece's own limits: ids are int32, and piece tables are sized from the vocabulary.
        try Check.int("--vocab_size", vocabSize, min: 1, max: 1 << 22)
        try Check.int("--max_sentencepiece_length", maxSentencepieceLength, min: 1, max: 512)
        try Check.int("--max_sentence_length", maxSentenceLength, min: 1, max: 1 << 30)
        try Check.int("--input_sentence_size", inputSentenceSize, min: 0)
        try Check.threads(numThreads, name: "--num_threads")
        if let c = characterCoverage, !(c > 0 && c <= 1) { throw ValidationError("--character_coverage must be in (0, 1]") }
        if let m = memoryBudget, ByteSize.parse(m) == nil { throw ValidationError("--memory-budget \(m): expected \(ByteSize.expected)") }
    }

    func run() throws {
        var o = BPETrainerOptions.llama2
        if let v = vocabSize { o.vocabSize = v }
        if let v = characterCoverage { o.characterCoverage = v }
        if let v = byteFallback { o.byteFallback = v }
        if let v = splitDigits { o.splitDigits = v }
        if let v = splitByUnicodeScript { o.splitByUnicodeScript = v }
        if let v = splitByNumber { o.splitByNumber = v }
        if let v = allowWhitespaceOnlyPieces { o.allowWhitespaceOnlyPieces = v }
        if let v = maxSentencepieceLength { o.maxSentencepieceLength = v }
        if let v = maxSentenceLength { o.maxSentenceLength = v }
        if let v = userDefinedSymbols { o.userDefinedSymbols = v.split(separator: ",").map(String.init) }
        if let v = controlSymbols { o.controlSymbols = v.split(separator: ",").map(String.init) }
        if let v = inputSentenceSize { o.inputSentenceSize = v }
        if let v = shuffleInputSentence { o.shuffleInputSentence = v }
        if let v = numThreads { o.numThreads = v }
        if let v = seed { o.seed = v }
        if let v = hardVocabLimit { o.hardVocabLimit = v }
        if let v = unkID { o.unkID = v }
        if let v = bosID { o.bosID = v }
        if let v = eosID { o.eosID = v }
        if let v = padID { o.padID = v }
        if let m = memoryBudget { o.memoryBudget = ByteSize.parse(m) }
        let paths = input.split(separator: ",").map(String.init)
        o.inputs = paths
        o.inputFormat = inputFormat
        o.modelPrefix = modelPrefix
        let log: (String) -> Void = { StandardError.line("spindle tokenizer train: \($0)") }
        let start = Progress.now()
        let corpus = try TrainingCorpus.load(paths: paths, format: inputFormat == "jsonl" ? .jsonl : .text, field: field,
                                             maxSentenceLength: o.maxSentenceLength, log: log)
        if corpus.skipped > 0 { log("skipped \(corpus.skipped) sentences (too long or containing U+2585)") }
        let model = try BPETrainer(options: o, log: log).train(corpus)
        try OutputFile.write(model.serialized(), to: modelPrefix + ".model", compress: false)
        try OutputFile.write(vocabText(model), to: modelPrefix + ".vocab", compress: false)
        log("wrote \(modelPrefix).model (\(model.pieces.count) pieces) and \(modelPrefix).vocab in \(Progress.format(Progress.now() - start, 1)) s")
    }
}
