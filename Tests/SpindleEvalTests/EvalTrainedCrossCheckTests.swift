// The cross-check on a checkpoint Spindle trained (issue 15's done-when): `spindle train pretrain` (2
// layers, dim 64, context 128, the cross-check's 1024-piece SentencePiece tokenizer) for a few steps on
// WikiText-2 text, then lm-eval 0.4.x's `hf` backend loads that directory itself (`pretrained=DIR`,
// lm_eval_trained_crosscheck.py) and scores arc_easy, hellaswag and gsm8k (2-shot) on the rows EvalCrossCheckTests
// wrote, and WikiText's rolling perplexity. Asserted as there: identical prompts, per-request log-likelihoods
// within 1e-4, identical acc and acc_norm, identical greedy generations, filtered answers and exact_match,
// equal perplexities.
import Foundation
import Testing
import SpindleIO
import SpindleTokenizer
@testable import SpindleEval
@testable import SpindleTrainer
import SpindleTestSupport

extension EvalCrossCheckTests {
    /// WORK/trained/run/checkpoint, trained by the spindle binary; the harness's records beside the
    /// others (`harness/trained_*.json`).
    static let trained: Result<String, Error> = Result { try trainAndRunHarness() }

    static func trainAndRunHarness() throws -> String {
        let dir = try work.get()
        let t = dir + "/trained"
        try FileManager.default.createDirectory(atPath: t, withIntermediateDirectories: true)
        let valid = try String(contentsOfFile: SharedData.path("pretrain/en/wikitext-2/valid.txt"), encoding: .utf8)
        let lines: [String] = valid.split(separator: "\n").filter { $0.count > 80 }.prefix(300).map { String($0) }
        try lines.joined(separator: "\n").write(toFile: t + "/text.txt", atomically: true, encoding: .utf8)
        let ids = try SpindleBinary.run(["tokenizer", "encode", "--model", dir + "/tokenizer.model", t + "/text.txt"])
        guard ids.status == 0 else { throw CrossCheckFailure(message: "tokenizer encode: \(ids.stderr)") }
        try ids.stdout.write(toFile: t + "/ids.txt", atomically: true, encoding: .utf8)
        let cfg = TinyTrainConfig(dim: 64, layers: 2, heads: 4, kvHeads: 2, hidden: 172, vocab: 1024, seqLen: 128,
                                  steps: 16, warmup: 2, checkpointEvery: 16)
        try cfg.json.write(toFile: t + "/cfg.json", atomically: true, encoding: .utf8)
        let train = try SpindleBinary.run(["train", "pretrain", "--config", t + "/cfg.json", "--train-data", t + "/ids.txt", "--output", t + "/run"])
        guard train.status == 0 else { throw CrossCheckFailure(message: "train pretrain exited \(train.status): \(train.stderr.suffix(2000))") }
        let r = try Python.run([TestPaths.package("Tests/SpindleEvalTests/lm_eval_trained_crosscheck.py"), dir, t + "/run/checkpoint"])
        guard r.status == 0 else { throw CrossCheckFailure(message: "lm_eval_trained_crosscheck.py exited \(r.status): \(r.stderr.suffix(3000))") }
        return t + "/run/checkpoint"
    }

    @Test(.requires(.spindleBinary), arguments: ["arc_easy", "hellaswag"])
    func spindleTrainedMultipleChoice(_ name: String) throws {
        let checkpoint = try Self.trained.get()
        let dir = try Self.work.get()
        let ev = try LMEvaluator(model: try Checkpoint.load(checkpoint), tokenizer: try SentencePieceModel(contentsOf: dir + "/tokenizer.model"), rows: 8)
        #expect(ev.scorer.model.config.maxSeqLen == 128)
        let task = HarnessTask.named(name)!
        let docs = try EvalRows.documents("\(dir)/data/\(name).jsonl", task: task)
        let o = try ev.run(task: task, docs: docs, shots: docs.map { _ in [] })
        let (worst, n) = compare("trained_" + name, o, subtask: nil, harness: try harness(dir, "trained_" + name))
        #expect(n >= 80 && worst <= 1e-4)
        // A trained model, not a random one: its choices are not all equally likely.
        #expect(Set(o.docs.flatMap(\.logLikelihoods)).count > n / 2)
    }

    @Test(.requires(.spindleBinary)) func spindleTrainedWikitextPerplexity() throws {
        let checkpoint = try Self.trained.get()
        let dir = try Self.work.get()
        let ev = try LMEvaluator(model: try Checkpoint.load(checkpoint), tokenizer: try SentencePieceModel(contentsOf: dir + "/tokenizer.model"), rows: 8)
        try compareWikitext(dir: dir, ev: ev, harnessName: "trained_wikitext")
    }

    @Test(.requires(.spindleBinary)) func spindleTrainedGeneration() throws {
        let checkpoint = try Self.trained.get()
        let dir = try Self.work.get()
        let task = GenerationTask.named("gsm8k")!
        let ev = try GenerationEvaluator(model: try Checkpoint.load(checkpoint), tokenizer: try SentencePieceModel(contentsOf: dir + "/tokenizer.model"), maxGenToks: 32)
        let docs = try EvalRows.documents("\(dir)/data/gsm8k.jsonl", task: task)
        let pool = try EvalRows.documents("\(dir)/data/gsm8k_train.jsonl", task: task)
        let ex = try fewShotExemplars(name: task.name, sampler: .random, docs: docs, pool: pool, shots: 2, sameSplit: false)
        let o = try ev.run(task: task, docs: docs, shots: ex)
        compareGeneration("trained_gsm8k", task, o, harness: try harness(dir, "trained_gsm8k"))
        #expect(o.records.contains { !$0.generation.isEmpty })
    }
}
