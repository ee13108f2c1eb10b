// EvalRunner.swift: one task by name (multiple-choice or generation) from its data file to a results
// block and samples, and `--suite llama2`: every task of the Llama 2 paper's table whose rows are
// in a directory, with the paper's shot counts where exemplars are given.
import Foundation
import SpindleIO
import SpindleTokenizer
import SpindleTrainer

/// A task of either kind, by the harness's name.
public enum EvalTask: Sendable {
    case choice(HarnessTask)
    case generation(GenerationTask)

    public static var names: [String] { HarnessTask.all.map(\.name) + GenerationTask.all.map(\.name) }
    public static func named(_ name: String) -> EvalTask? {
        if let t = HarnessTask.named(name) { return .choice(t) }
        return GenerationTask.named(name).map { .generation($0) }
    }
    public var hasBuiltInExemplars: Bool {
        if case .generation(let g) = self { return g.fixedExemplars != nil }
        return false
    }
    /// The YAML's `num_fewshot` (what the harness runs without --num_fewshot).
    public var defaultShots: Int {
        if case .generation(let g) = self { return g.defaultShots }
        return 0
    }
}

public struct EvalSettings: Sendable {
    public var shots: Int? = nil          // nil: the task's default
    public var seed: UInt64 = 1234
    public var limit: Int? = nil
    public var rows = 8                   // choices scored together
    public var addBOS = true
    public var maxGenToks: Int? = nil     // nil: the task's max_gen_toks, else the HF backend's 256
    public var sampling = CodeSampling()  // code tasks: samples per problem, temperature, pass@k
    public var sandbox = SandboxLimits()
    public var python = "python3"
    public init() {}
}

public final class EvalRunner {
    public let model: LlamaModel
    public let tokenizer: SentencePieceModel
    public let settings: EvalSettings
    private var lm: LMEvaluator?
    private var gen: GenerationEvaluator?

    public init(model: LlamaModel, tokenizer: SentencePieceModel, settings: EvalSettings) throws {
        self.model = model; self.tokenizer = tokenizer; self.settings = settings
    }

    private var sandbox: CodeSandbox?

    /// The sandbox code tasks run in (nil until one has run): says how isolated it is.
    public var sandboxIsolation: CodeSandbox.Isolation? { sandbox?.isolation }
    /// The process cap code tasks ran under (nil: none, or no code task has run).
    public var sandboxProcessCap: Int? { sandbox?.pids == nil ? nil : sandbox?.limits.processes }

    func builtInExemplars(_ t: GenerationTask) throws -> [GenDoc] {
        try (t.fixedExemplars ?? []).map { row in
            do throws(DocError) { var d = try t.render(row); d.row = row; return d } catch {
                throw EvalError.data("\(t.name)'s built-in exemplar: \(error.field): \(error.reason)")
            }
        }
    }

    static func sameFile(_ a: String, _ b: String) -> Bool {
        URL(fileURLWithPath: a).standardized.path == URL(fileURLWithPath: b).standardized.path
    }

    /// Runs `task` on the rows of `data`, exemplars from `fewshotData`. Returns the results block
    /// (`dataFile` recorded in its configs) and the samples lines.
    public func run(_ task: EvalTask, data: String, fewshotData: String?, shots: Int? = nil,
                    progress: ((Int) -> Void)? = nil) throws -> (block: ResultsBlock, samples: [[UInt8]]) {
        let k = shots ?? settings.shots ?? task.defaultShots
        guard k == 0 || fewshotData != nil || task.hasBuiltInExemplars else {
            throw EvalError.fewShot("\(k) shots need exemplars: give --fewshot-data (the harness's default takes them from the training split), or --shots 0")
        }
        let same = fewshotData.map { Self.sameFile($0, data) } ?? false
        switch task {
        case .choice(let t):
            let docs = EvalRows.limit(try EvalRows.documents(data, task: t), to: settings.limit)
            guard !docs.isEmpty else { throw InputError(.format, file: data, "no rows") }
            let pool = try fewshotData.map { try EvalRows.documents($0, task: t) } ?? []
            let ex = try fewShotExemplars(task: t, docs: docs, pool: pool, shots: k, seed: settings.seed, sameSplit: same)
            if lm == nil { lm = try LMEvaluator(model: model, tokenizer: tokenizer, addBOS: settings.addBOS, rows: settings.rows) }
            let o = try lm!.run(task: t, docs: docs, shots: ex, file: data, progress: progress)
            return (o.block(dataFile: data), HarnessResults.sampleLines(o))
        case .generation(let t):
            let docs = Array(try EvalRows.documents(data, task: t).prefix(settings.limit ?? .max))
            guard !docs.isEmpty else { throw InputError(.format, file: data, "no rows") }
            let pool = try fewshotData.map { try EvalRows.documents($0, task: t) } ?? builtInExemplars(t)
            let ex = try fewShotExemplars(name: t.name, sampler: t.sampler, docs: docs, pool: pool, shots: k, seed: settings.seed, sameSplit: same)
            let g = settings.maxGenToks ?? t.maxGenToks ?? 256
            guard g < model.config.maxSeqLen else {
                throw EvalError.usage("\(t.name): max_gen_toks \(g) leaves no room for a prompt in the model's context of \(model.config.maxSeqLen); give --max-gen-toks")
            }
            if gen?.maxGenToks != g { gen = try GenerationEvaluator(model: model, tokenizer: tokenizer, addBOS: settings.addBOS, maxGenToks: g) }
            if case .execution = t.scoring, sandbox == nil { sandbox = CodeSandbox(python: settings.python, limits: settings.sandbox) }
            let o = try gen!.run(task: t, docs: docs, shots: ex, file: data, sandbox: sandbox, sampling: settings.sampling, progress: progress)
            return (o.block(dataFile: data), o.sampleLines())
        }
    }
}

/// `--suite llama2`: the tasks of the Llama 2 paper's Table 3 that Spindle scores, with the paper's
/// shot counts (§2.2): 0-shot commonsense reasoning except CommonsenseQA 7-shot, NaturalQuestions and
/// TriviaQA 5-shot, GSM8K 8-shot, MMLU 5-shot, BoolQ 0-shot; HumanEval 0-shot and MBPP 3-shot (its
/// built-in exemplars), pass@1. In DIR, the rows of task T are
/// `T.jsonl` (or `.jsonl.gz`, `.jsonl.zst`) and its exemplars `T_train.jsonl…` (MMLU: `mmlu_dev.jsonl…`);
/// without an exemplar file a task runs 0-shot.
public enum Llama2Suite {
    public static let tasks: [(name: String, shots: Int)] = [
        ("piqa", 0), ("social_iqa", 0), ("hellaswag", 0), ("winogrande", 0), ("arc_easy", 0), ("arc_challenge", 0),
        ("openbookqa", 0), ("commonsense_qa", 7), ("nq_open", 5), ("triviaqa", 5), ("boolq", 0), ("gsm8k", 8), ("mmlu", 5),
        ("humaneval", 0), ("mbpp", 3),
    ]

    /// The first of `base.jsonl`, `base.jsonl.gz`, `base.jsonl.zst` in `dir` that exists.
    static func file(_ dir: String, _ base: String) -> String? {
        [".jsonl", ".jsonl.gz", ".jsonl.zst"].map { "\(dir)/\(base)\($0)" }.first { FileManager.default.fileExists(atPath: $0) }
    }

    /// (task, data, exemplars, shots) for every task whose rows are in `dir`.
    public static func plan(dir: String) -> [(task: EvalTask, name: String, data: String, fewshot: String?, shots: Int)] {
        tasks.compactMap { name, shots in
            guard let data = file(dir, name), let task = EvalTask.named(name) else { return nil }
            let fs = file(dir, name == "mmlu" ? "mmlu_dev" : name + "_train")
            return (task, name, data, fs, fs != nil || task.hasBuiltInExemplars ? shots : 0)
        }
    }
}
