import ArgumentParser
import Foundation
import SpindleIO
import SpindleShards
import SpindleTokenizer
import SpindleTrainer

/// `spindle eval rm`: reward-model accuracy on preference JSONL records.
struct EvalRM: ParsableCommand {
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
    @Argument(help: "Preference JSONL files (default: stdin).") var files: [String] = []

    func run() throws {
        BLASBackend.prepareProcess()   // before any input is read: it may re-exec
        let tok = try loadModel(tokenizer)
        let model = try exitOnTrainerError("eval rm") { () -> LlamaModel in
            let m = try Checkpoint.load(checkpoint)
            guard m.layout.score >= 0 else {
                throw TrainerError.config(field: "checkpoint", message: "\(checkpoint) is not a reward model (no score head)")
            }
            guard tok.vocabSize == m.config.vocabSize else {
                throw TrainerError.config(field: "tokenizer", message: "\(tokenizer) has \(tok.vocabSize) tokens, the model a vocabulary of \(m.config.vocabSize)")
            }
            if let s = try PostTrainData.readStamp(checkpoint), s.fingerprint != tok.fingerprint {
                throw TrainerError.config(field: "tokenizer", message: "\(checkpoint) was trained on shards from tokenizer \(s.fingerprint.prefix(16))…, not \(tokenizer)")
            }
            return m
        }
        let template = Llama2ChatTemplate(encoder: tok)
        var pairs: [PreferenceTokens] = []
        try Exit.reporting("eval rm") {
            for path in files.isEmpty ? [nil] : files.map(Optional.some) {
                let reader = try LineReader(path: path)
                while let line = try reader.next() {
                    if line.bytes.allSatisfy({ $0 == 32 || $0 == 9 || $0 == 13 }) { continue }
                    let rec: PreferencePair
                    do { rec = try PreferencePair(json: try JSONLine(line.bytes)) } catch let e0 as InputError {
                        var e = e0
                        e.file = reader.name; e.line = line.number
                        throw e
                    }
                    let ex = rec
                    let prompt: [Int32]
                    do { prompt = try template.renderPrompt(ex.prompt) } catch {
                        throw InputError(.invalidValue, file: reader.name, line: line.number, field: "prompt", "\(error)")
                    }
                    pairs.append(PreferenceTokens(chosen: template.renderResponse(prompt: prompt, answer: ex.chosen),
                                                  rejected: template.renderResponse(prompt: prompt, answer: ex.rejected),
                                                  degree: PreferenceDegree(ex.degree).rawValue, aspect: ex.aspect.rawValue))
                }
            }
        }
        guard !pairs.isEmpty else { throw ValidationError("no preference records in the input") }
        model.parallel = Parallel(threads: threads)
        BLASBackend.shared.threads = threads
        let t = min(seqLen ?? model.config.maxSeqLen, model.config.maxSeqLen)
        let rm = RewardModel(model: model, rows: rows, seqLen: t)
        let a = RewardAccuracy.measure(rm, pairs: pairs)
        print("pairs \(a.total)")
        for d in (0...3).reversed() where a.byDegree[d].total > 0 {
            let label = PreferenceDegree(rawValue: d)!.label
            print(String(format: "degree %-20@ %.4f  (%d/%d)", label as NSString, Double(a.byDegree[d].correct) / Double(a.byDegree[d].total), a.byDegree[d].correct, a.byDegree[d].total))
        }
        for (k, v) in a.byAspect.sorted(by: { $0.key < $1.key }) {
            print(String(format: "aspect %-20@ %.4f  (%d/%d)", k as NSString, Double(v.correct) / Double(v.total), v.correct, v.total))
        }
        func describe(_ name: String, _ x: [Float]) {
            let s = x.map(Double.init).sorted()
            let mean = s.reduce(0, +) / Double(s.count)
            let sd = (s.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(s.count)).squareRoot()
            func q(_ p: Double) -> Double { s[min(s.count - 1, Int(p * Double(s.count - 1)))] }
            print(String(format: "scores %-9@ mean %.4f  std %.4f  min %.4f  p25 %.4f  median %.4f  p75 %.4f  max %.4f",
                         name as NSString, mean, sd, s.first!, q(0.25), q(0.5), q(0.75), s.last!))
        }
        describe("chosen", a.chosenScores)
        describe("rejected", a.rejectedScores)
        describe("margin", zip(a.chosenScores, a.rejectedScores).map { $0 - $1 })
        print(String(format: "accuracy %.4f", a.accuracy))
    }
}
