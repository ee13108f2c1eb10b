// SentencePiece-compatible BPE training. Words are counted once (in parallel, 64-bit counts); then each
// merge updates pair counts incrementally around the merged positions only, and a lazy max-heap picks
// the next pair (frequency desc, then shorter piece, then smaller UTF-8 string, as sentencepiece does).
// The corpus is never recounted per merge. Output is a ModelProto that sentencepiece loads.
// `train` runs the steps, one file each: WordCounting, Alphabet, MergeTables, MergeLoop (with PairHeap
// and MergeDeltas), ModelAssembly; SymbolTable holds the symbols and the piece-validity rules.
import Dispatch
import SpindleIO

/// Options of `spindle tokenizer train`, named after spm_train's flags.
public struct BPETrainerOptions: Sendable {
    public var vocabSize = 32000
    public var characterCoverage = 0.99995
    public var byteFallback = true
    public var splitDigits = true
    public var splitByNumber = true
    public var splitByUnicodeScript = true
    public var allowWhitespaceOnlyPieces = true
    public var maxSentencepieceLength = 16
    public var maxSentenceLength = 4192
    public var userDefinedSymbols: [String] = []
    public var controlSymbols: [String] = []
    public var inputSentenceSize = 0
    public var shuffleInputSentence = true
    public var numThreads = 2
    public var seed: UInt64 = 12345678
    public var hardVocabLimit = true
    public var unkID = 0, bosID = 1, eosID = 2, padID = -1
    public var unkPiece = "<unk>", bosPiece = "<s>", eosPiece = "</s>", padPiece = "<pad>"
    public var unkSurface = " \u{2047} "
    /// Bytes the word and pair tables may use; rare words are pruned to fit (nil: unbounded).
    public var memoryBudget: Int? = nil
    /// Recorded in trainer_spec.
    public var inputs: [String] = []
    public var inputFormat = "text"
    public var modelPrefix = ""
    /// Merges touching at least this many words rewrite them on `numThreads` threads (tests lower it).
    var parallelRewriteThreshold = 2048

    public init() {}

    /// Llama 2's trainer_spec (the released tokenizer.model's settings).
    public static var llama2: BPETrainerOptions { BPETrainerOptions() }
}

/// Why training failed.
public struct TrainingError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ m: String) { message = m }
    public var description: String { message }
}

/// Statistics of a training run (for logs and benchmarks).
public struct TrainingStats: Sendable {
    public var sentences = 0
    public var uniqueWords = 0
    public var prunedWords = 0
    public var alphabetSize = 0
    public var merges = 0
    public var estimatedBytes = 0
    public var seconds: [String: Double] = [:]
}

public final class BPETrainer {
    public let options: BPETrainerOptions
    public internal(set) var stats = TrainingStats()
    let log: (String) -> Void
    /// Sums of cache-warming loads, kept so the optimiser cannot drop them.
    @exclusivity(unchecked) var warmLoads: UInt64 = 0   // a sink for cache-warming loads (see MergeDeltas)

    public init(options: BPETrainerOptions, log: @escaping (String) -> Void = { _ in }) {
        self.options = options
        self.log = log
    }

    /// Trains on a corpus and returns the model.
    public func train(_ corpusIn: TrainingCorpus) throws(TrainingError) -> ModelProto {
        let o = options
        var corpus = corpusIn
        if o.inputSentenceSize > 0 && corpus.count > o.inputSentenceSize {
            corpus = corpus.sampled(o.inputSentenceSize, shuffle: o.shuffleInputSentence, seed: o.seed)
            log("sampled \(corpus.count) sentences (input_sentence_size=\(o.inputSentenceSize))")
        }
        stats.sentences = corpus.count
        guard corpus.count > 0 else { throw TrainingError("no training sentences (all lines empty or too long?)") }
        var t0 = monotonicSeconds()

        // 1. Words, counted in parallel (WordCounting.swift).
        var words = countWords(corpus)
        stats.uniqueWords = words.reduce(0) { $0 + $1.count }
        stats.seconds["count_words"] = monotonicSeconds() - t0
        log("\(corpus.count) sentences, \(stats.uniqueWords) unique words (\(fmt(stats.seconds["count_words"]!)) s)")
        t0 = monotonicSeconds()

        // 2. Alphabet by character coverage (Alphabet.swift), then the meta pieces' symbols.
        var symbols = SymbolTable()
        let (alphabet, charToSym) = try chooseAlphabet(words, symbols: &symbols)
        stats.alphabetSize = alphabet.count
        let meta = try metaPieces(symbols: &symbols)
        let byteCount = o.byteFallback ? 256 : 0
        let targetMerges = o.vocabSize - meta.count - byteCount - alphabet.count
        guard targetMerges >= 0 else {
            throw TrainingError("vocab_size \(o.vocabSize) is too small: \(meta.count) meta pieces + \(byteCount) byte pieces + \(alphabet.count) characters (character_coverage \(o.characterCoverage)) do not fit")
        }
        log("alphabet: \(alphabet.count) characters (coverage \(o.characterCoverage)); \(targetMerges) merges to learn")

        // 3. Word symbol sequences (split at characters outside the alphabet), memory-bounded (MergeTables.swift).
        var state = try buildWords(words, charToSym: charToSym, symbols: symbols)
        words = []
        stats.seconds["prepare"] = monotonicSeconds() - t0
        log("prepared merge tables (\(fmt(stats.seconds["prepare"]!)) s)")
        t0 = monotonicSeconds()

        // 4. Merges (MergeLoop.swift).
        var merged: [Int32] = []   // symbol ids of new pieces, in merge order
        merged.reserveCapacity(max(0, targetMerges))
        mergeLoop(&state, target: targetMerges, into: &merged)
        stats.merges = merged.count
        stats.seconds["merge"] = monotonicSeconds() - t0
        log("learned \(merged.count) merges (\(fmt(stats.seconds["merge"]!)) s)")
        if merged.count < targetMerges && o.hardVocabLimit {
            throw TrainingError("vocabulary size \(o.vocabSize) is too high for this corpus: only \(meta.count + byteCount + alphabet.count + merged.count) pieces can be made (lower --vocab_size or pass --hard_vocab_limit=false)")
        }

        // 5. The model (ModelAssembly.swift).
        return assembleModel(meta: meta, merged: merged, alphabet: alphabet, symbols: state.symbols)
    }
}

/// Runs `body(0 ..< n)` on the trainer's worker threads; every parallel loop of training goes through here.
@inline(__always)
func monotonicSeconds() -> Double { now() }

func fmt(_ x: Double) -> String {
    let v = Int((x * 10).rounded())
    return "\(v / 10).\(v % 10)"
}
