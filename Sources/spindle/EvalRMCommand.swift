import ArgumentParser
import Foundation
import SpindleIO
import SpindleShards
import SpindleTokenizer
import SpindleTrainer

/// `spindle eval rm`: reward-model accuracy on preference JSONL records.
struct EvalRM: Configurable {
    static let configuration = CommandConfiguration(
        commandName: "rm",
        abstract: "Accuracy of a reward model on preference records (JSONL as `spindle convert` writes).",
        discussion: """
        Each record is rendered with the Llama 2 chat template exactly as `spindle pack preference`
        renders it (prompt + answer + </s>), scored by the model; a pair counts as correct when the chosen
        answer scores higher. Prints accuracy overall, per degree and per aspect, and the score
        distribution; the last line is `accuracy X`. Records are read from files or stdin (.zst ok).

        example:
          spindle eval rm --checkpoint runs/rm-helpful/checkpoint --tokenizer tokenizer.model heldout.jsonl
        """)

    @Option(help: "Reward-model checkpoint directory.") var checkpoint: String
    @Option(help: "The SentencePiece .model the reward model was trained with.") var tokenizer: String
    @Option(help: "Tokens per row (sequences longer keep their last tokens).") var seqLen: Int?
    @Option(help: "Rows per forward pass.") var rows = 4
    @Option(help: "Threads.") var threads = 2
    @Option(help: "Also write each pair's two rewards, in input order, as JSONL ({\"chosen\": r_c, \"rejected\": r_r}): for ensembles, calibration or error analysis.")
    var scores: String?
    @Argument(help: "Preference JSONL files (default: stdin).") var files: [String] = []
    @OptionGroup var config: ConfigOptions
    @OptionGroup var overwriting: OverwriteOption

    func validate() throws {
        try Check.threads(threads)
        try Check.int("--rows", rows, min: 1, max: 4096)
        try Check.int("--seq-len", seqLen, min: 2, max: 1 << 20)
    }

    func run() throws {
        BLASBackend.prepareProcess()   // before any input is read: it may re-exec
        let tok = try SentencePieceModel(contentsOf: tokenizer)
        let model = try Checkpoint.load(checkpoint, head: .score, tokenizer: tok, tokenizerName: tokenizer)
        let pairs = try readPairs(template: Llama2ChatTemplate(encoder: tok))
        guard !pairs.isEmpty else { throw InputError(.format, file: files.isEmpty ? "<stdin>" : files.joined(separator: ","), "no preference records in the input") }
        model.parallel = Parallel(threads: threads)
        BLASBackend.shared.threads = threads
        let t = min(seqLen ?? model.config.maxSeqLen, model.config.maxSeqLen)
        let accuracy = RewardAccuracy.measure(RewardModel(model: model, rows: rows, seqLen: t), pairs: pairs)
        if let scores {
            let f = try OutputFile(path: scores)
            for (c, r) in zip(accuracy.chosenScores, accuracy.rejectedScores) {
                try f.write(JSONValue.object([("chosen", JSONValue(Double(c))), ("rejected", JSONValue(Double(r)))]).serialized + [10])
            }
            try f.commit()
        }
        print(accuracy.text)
    }

    /// Each record rendered as `pack preference` renders it.
    func readPairs(template: Llama2ChatTemplate) throws -> [PreferenceTokens] {
        var pairs: [PreferenceTokens] = []
        for path in files.isEmpty ? [nil] : files.map(Optional.some) {
            let reader = try LineReader(path: path)
            while let line = try reader.next() {
                if line.bytes.allSatisfy({ $0 == 32 || $0 == 9 || $0 == 13 }) { continue }
                let ex: PreferencePair
                do throws(InputError) { ex = try PreferencePair(json: try JSONLine(line.bytes)) } catch {
                    throw error.at(file: reader.name, line: line.number)
                }
                let prompt: [Int32]
                do { prompt = try template.renderPrompt(ex.prompt) } catch {
                    throw InputError(.invalidValue, file: reader.name, line: line.number, field: "prompt", "\(error)")
                }
                pairs.append(PreferenceTokens(chosen: template.renderResponse(prompt: prompt, answer: ex.chosen),
                                              rejected: template.renderResponse(prompt: prompt, answer: ex.rejected),
                                              degree: PreferenceDegree(ex.degree).rawValue, aspect: ex.aspect.rawValue,
                                              promptLength: prompt.count))
            }
        }
        return pairs
    }
}
