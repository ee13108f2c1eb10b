import ArgumentParser
import Foundation
import SpindleEval
import SpindleIO
import SpindleTokenizer
import SpindleTrainer

/// `spindle eval lm`: a multiple-choice benchmark scored as lm-evaluation-harness scores it.
struct EvalLM: Configurable {
    static let configuration = CommandConfiguration(
        commandName: "lm",
        abstract: "Score a checkpoint on a multiple-choice benchmark exactly as lm-evaluation-harness 0.4 does.",
        discussion: """
        Tasks (the harness's names and default templates, docs/EVAL.md): \(HarnessTask.all.map(\.name).joined(separator: ", ")).
        Rows are JSON Lines (.gz/.zst ok) with the fields of the Hugging Face dataset. Each choice is
        scored by its log-likelihood after the prompt; acc takes the most likely choice, acc_norm the most
        likely per character. --shots K puts K exemplars from --fewshot-data before each question, drawn
        as the harness draws them (mmlu: the first K rows of the subject; other tasks: random.Random(--seed)
        sampling; the same file as --data leaves the question out). Prints one line per (sub)task;
        --output writes the harness's results JSON.

        example:
          spindle eval lm --checkpoint runs/sft/checkpoint --tokenizer tokenizer.model --task arc_easy \\
            --data ../shared/data/eval/arc_easy.jsonl.gz --output arc_easy.json
        """)

    @Option(help: "Checkpoint directory (Spindle's, or any Hugging Face Llama).") var checkpoint: String
    @Option(help: "The SentencePiece .model of the checkpoint.") var tokenizer: String
    @Option(help: "Task name (the harness's).") var task: String
    @Option(help: "The task's rows (JSONL, .gz or .zst).") var data: String
    @Option(help: "Rows the few-shot exemplars come from (mmlu: the dev split).") var fewshotData: String?
    @Option(help: "Few-shot exemplars before each question.") var shots = 0
    @Option(help: "Seed of the few-shot draw (the harness's --fewshot_random_seed; mmlu takes the first rows instead).")
    var seed: UInt64 = 1234
    @Option(help: "Score only the first N rows (per subject for mmlu, as the harness's --limit).") var limit: Int?
    @Option(help: "Choices scored together after their shared context (rows of one decode step).") var batchSize = 8
    @Option(help: "Threads.") var threads = 2
    @Flag(name: .customLong("no-bos"), help: "Do not start prompts with BOS (older lm-eval 0.4 releases, or a tokenizer without add_bos).")
    var noBOS = false
    @Option(name: [.short, .long], help: "Write the results JSON (lm-eval's layout) here.") var output: String?
    @Option(help: "Write one JSON line per question with its requests' log-likelihoods (lm-eval's samples).") var samples: String?
    @OptionGroup var config: ConfigOptions

    func validate() throws {
        guard HarnessTask.named(task) != nil else {
            throw ValidationError("--task \(task) is not one of \(HarnessTask.all.map(\.name).joined(separator: ", "))")
        }
        try Check.int("--shots", shots, min: 0, max: 64)
        try Check.int("--limit", limit, min: 1)
        try Check.int("--batch-size", batchSize, min: 1, max: 4096)
        try Check.threads(threads)
        if shots > 0 && fewshotData == nil { throw ValidationError("--shots \(shots) needs --fewshot-data (the split exemplars come from)") }
    }

    func run() throws {
        BLASBackend.prepareProcess()   // before any input is read: it may re-exec
        let t = HarnessTask.named(task)!
        let tok = try SentencePieceModel(contentsOf: tokenizer)
        let model = try Checkpoint.load(checkpoint, head: .languageModel, tokenizer: tok, tokenizerName: tokenizer)
        model.parallel = Parallel(threads: threads)
        BLASBackend.shared.threads = threads
        let docs = EvalRows.limit(try EvalRows.documents(data, task: t), to: limit)
        guard !docs.isEmpty else { throw InputError(.format, file: data, "no rows") }
        let pool = try fewshotData.map { try EvalRows.documents($0, task: t) } ?? []
        let sameSplit = fewshotData.map { URL(fileURLWithPath: $0).standardized.path == URL(fileURLWithPath: data).standardized.path } ?? false
        let shotsPerDoc = try fewShotExemplars(task: t, docs: docs, pool: pool, shots: shots, seed: seed, sameSplit: sameSplit)
        let evaluator = try LMEvaluator(model: model, tokenizer: tok, addBOS: !noBOS, rows: batchSize)
        let progress = Progress(label: "eval \(task)")
        let outcome = try evaluator.run(task: t, docs: docs, shots: shotsPerDoc, file: data) { progress.update(records: $0, bytes: 0) }
        progress.finish()
        for line in HarnessResults.summaryLines(outcome) { print(line) }
        if let output {
            let json = HarnessResults.json([outcome], dataFiles: [task: data], limit: limit, model: "checkpoint=\(checkpoint)")
            let f = try OutputFile(path: output)
            try f.write(json.bytes(.indented) + [10])
            try f.commit()
        }
        if let samples {
            let f = try OutputFile(path: samples)
            for line in HarnessResults.sampleLines(outcome) { try f.write(line) }
            try f.commit()
        }
    }
}
