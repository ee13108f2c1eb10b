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
        abstract: "Score a checkpoint on benchmarks (multiple-choice and generation) exactly as lm-evaluation-harness 0.4 does.",
        discussion: """
        Tasks (the harness's names and default templates, docs/EVAL.md): \(EvalTask.names.joined(separator: ", ")).
        Rows are JSON Lines (.gz/.zst ok) with the fields of the Hugging Face dataset. Each choice is
        scored by its log-likelihood after the prompt; acc takes the most likely choice, acc_norm the most
        likely per character. --shots K puts K exemplars from --fewshot-data before each question, drawn
        as the harness draws them (mmlu: the first K rows of the subject; other tasks: random.Random(--seed)
        sampling; the same file as --data leaves the question out). Generation tasks (nq_open,
        triviaqa, gsm8k) decode greedily up to --max-gen-toks, cut at the harness's stop strings, and
        score exact_match after its filters. --suite llama2 --data-dir DIR runs every task of the paper's
        table with rows in DIR (docs/EVAL.md). Prints one line per (sub)task; --output writes the
        harness's results JSON (plus a flat `summary`), --html one HTML table.

        example:
          spindle eval lm --checkpoint runs/sft/checkpoint --tokenizer tokenizer.model --task arc_easy \\
            --data ../shared/data/eval/arc_easy.jsonl.gz --output arc_easy.json
          spindle eval lm --checkpoint runs/sft/checkpoint --tokenizer tokenizer.model --suite llama2 \\
            --data-dir ../shared/data/eval --output llama2.json
        """)

    @Option(help: "Checkpoint directory (Spindle's, or any Hugging Face Llama).") var checkpoint: String
    @Option(help: "The SentencePiece .model of the checkpoint.") var tokenizer: String
    @Option(help: "Task name (the harness's).") var task: String?
    @Option(help: "The task's rows (JSONL, .gz or .zst).") var data: String?
    @Option(help: "Run a suite instead of one task: llama2 (every task of the paper's table with rows in --data-dir).") var suite: String?
    @Option(help: "The suite's directory: TASK.jsonl[.gz|.zst] rows, TASK_train.jsonl… exemplars (mmlu: mmlu_dev.jsonl…).") var dataDir: String?
    @Option(help: "Rows the few-shot exemplars come from (mmlu: the dev split).") var fewshotData: String?
    @Option(help: "Few-shot exemplars before each question (default: the task's num_fewshot, gsm8k 5, others 0).") var shots: Int?
    @Option(help: "Seed of the few-shot draw (the harness's --fewshot_random_seed; mmlu takes the first rows instead).")
    var seed: UInt64 = 1234
    @Option(help: "Score only the first N rows (per subject for mmlu, as the harness's --limit).") var limit: Int?
    @Option(help: "Choices scored together after their shared context (one KV-cache slot each).") var batchSize = 8
    @Option(help: "Generation tasks: at most this many new tokens (default: the task's max_gen_toks, humaneval 1024, else the HF backend's 256).")
    var maxGenToks: Int?
    @Option(help: "humaneval/mbpp: responses sampled per problem (n of pass@k).") var numSamples = 1
    @Option(help: "humaneval/mbpp: sampling temperature (0: greedy; n > 1 needs > 0).") var temperature: Float = 0
    @Option(help: "humaneval/mbpp: the k of pass@k, comma-separated, each at most --num-samples.") var passK = "1"
    @Option(help: "humaneval/mbpp: seconds each program may run (wall clock; CPU limit one more).") var timeout: Double = 3
    @Option(help: "humaneval/mbpp: the Python interpreter the sandbox runs.") var python = "python3"
    @Option(help: "Threads.") var threads = 2
    @Flag(name: .customLong("no-bos"), help: "Do not start prompts with BOS (older lm-eval 0.4 releases, or a tokenizer without add_bos).")
    var noBOS = false
    @Option(name: [.short, .long], help: "Write the results JSON (lm-eval's layout) here.") var output: String?
    @Option(help: "Write the results as one HTML table (self-contained; `eval report` puts several checkpoints side by side).") var html: String?
    @Option(help: "Write one JSON line per question with its requests and responses (lm-eval's samples).") var samples: String?
    @OptionGroup var config: ConfigOptions
    @OptionGroup var overwriting: OverwriteOption

    func validate() throws {
        if let suite {
            guard suite == "llama2" else { throw ValidationError("--suite \(suite): the only suite is llama2") }
            guard let dataDir, task == nil, data == nil, fewshotData == nil, shots == nil else {
                throw ValidationError("--suite llama2 takes --data-dir DIR, and no --task, --data, --fewshot-data or --shots")
            }
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: dataDir, isDirectory: &isDir), isDir.boolValue else { throw ValidationError("--data-dir \(dataDir) is not a directory") }
        } else {
            guard let task, data != nil else { throw ValidationError("give --task and --data, or --suite llama2 --data-dir DIR") }
            guard EvalTask.named(task) != nil else { throw ValidationError("--task \(task) is not one of \(EvalTask.names.joined(separator: ", "))") }
        }
        try Check.int("--shots", shots, min: 0, max: 64)
        try Check.int("--limit", limit, min: 1)
        try Check.int("--batch-size", batchSize, min: 1, max: 4096)
        try Check.int("--max-gen-toks", maxGenToks, min: 1, max: 1 << 20)
        try Check.int("--num-samples", numSamples, min: 1, max: 10_000)
        guard temperature >= 0 && temperature <= 10 else { throw ValidationError("--temperature \(temperature) is not in 0…10") }
        if numSamples > 1 && temperature == 0 { throw ValidationError("--num-samples \(numSamples) needs --temperature > 0 (greedy samples are all the same)") }
        guard let ks = parsedPassK, !ks.isEmpty, ks.allSatisfy({ $0 >= 1 && $0 <= numSamples }) else {
            throw ValidationError("--pass-k \(passK): comma-separated integers in 1…--num-samples (\(numSamples))")
        }
        guard timeout > 0 && timeout <= 600 else { throw ValidationError("--timeout \(timeout) is not in (0, 600] seconds") }
        try Check.threads(threads)
        if let shots, shots > 0, fewshotData == nil, !(task.flatMap(EvalTask.named)?.hasBuiltInExemplars ?? false) { throw ValidationError("--shots \(shots) needs --fewshot-data (the split exemplars come from)") }
    }

    var parsedPassK: [Int]? {
        let parts = passK.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        return parts.contains(nil) ? nil : parts.map { $0! }
    }

    func run() throws {
        BLASBackend.prepareProcess()   // before any input is read: it may re-exec
        let tok = try SentencePieceModel(contentsOf: tokenizer)
        let model = try Checkpoint.load(checkpoint, head: .languageModel, tokenizer: tok, tokenizerName: tokenizer)
        model.parallel = Parallel(threads: threads)
        BLASBackend.shared.threads = threads
        var s = EvalSettings()
        s.shots = shots; s.seed = seed; s.limit = limit; s.rows = batchSize; s.addBOS = !noBOS; s.maxGenToks = maxGenToks
        s.sampling.samples = numSamples; s.sampling.temperature = temperature; s.sampling.seed = seed; s.sampling.passK = parsedPassK ?? [1]
        s.sandbox.timeout = timeout; s.python = python
        let runner = try EvalRunner(model: model, tokenizer: tok, settings: s)
        let plan = suite == nil ? [(EvalTask.named(task!)!, task!, data!, fewshotData, shots)]
                                : Llama2Suite.plan(dir: dataDir!).map { ($0.task, $0.name, $0.data, $0.fewshot, Optional($0.shots)) }
        guard !plan.isEmpty else { throw EvalError.noInput("\(dataDir ?? ""): no task's rows (TASK.jsonl, .jsonl.gz or .jsonl.zst) in the directory") }
        var blocks: [ResultsBlock] = [], sampleLines: [[UInt8]] = []
        for (t, name, file, fs, k) in plan {
            let progress = Progress(label: "eval \(name)")
            let r = try runner.run(t, data: file, fewshotData: fs, shots: k) { progress.update(records: $0, bytes: 0) }
            progress.finish()
            if case .generation(let g) = t, case .execution = g.scoring, let iso = runner.sandboxIsolation {
                StandardError.write("eval \(name): programs ran in the sandbox with \(iso == .namespaces ? "no network and a read-only file system outside their temporary directory" : "rlimits only: NO network or file-system isolation (unprivileged user namespaces unavailable)"), \(runner.sandboxProcessCap.map { "at most \($0) processes (pids cgroup)" } ?? "NO process-count bound (no writable pids cgroup)")\n")
            }
            for line in r.block.summary { print(line) }
            blocks.append(r.block); sampleLines += r.samples
        }
        let results = HarnessResults.json(blocks: blocks, limit: limit, model: "checkpoint=\(checkpoint)")
        if let output {
            let f = try OutputFile(path: output)
            try f.write(results.bytes(.indented) + [10])
            try f.commit()
        }
        if let html {
            let f = try OutputFile(path: html)
            let rows = try ResultsTable.rows(results, file: output ?? "results")
            try f.write(Array(ResultsTable.html(title: "eval lm: \(checkpoint)", columns: [(label: checkpoint, rows: rows)]).utf8))
            try f.commit()
        }
        if let samples {
            let f = try OutputFile(path: samples)
            for line in sampleLines { try f.write(line) }
            try f.commit()
        }
    }
}
