// GenerationTasks.swift: lm-evaluation-harness 0.4.13's `generate_until` tasks (nq_open, triviaqa,
// gsm8k) with their default YAMLs: the prompt, the targets, the stop strings (`until`), the filter
// pipelines and exact_match's normalisation. docs/EVAL.md quotes each.
import SpindleIO

/// One row as a generation request: the prompt (`doc_to_text`), the gold answers (`doc_to_target`; a
/// list for multi-target tasks, any of which counts), and the exemplar answer (the first target).
public struct GenDoc: Sendable, Equatable, FewShotDoc {
    public var text: String
    public var targets: [String]
    /// What follows `text + target_delimiter` when the row is a few-shot exemplar (`a[0]` for a list;
    /// MBPP: its code + "\n[DONE]").
    public var exemplarAnswer: String
    /// Code tasks: the test program run after the candidate, and what is put before the response to
    /// make the candidate (HumanEval's `create_test` filter: the prompt).
    public var tests: String? = nil
    public var codePrefix = ""
    public var line = 0
    public var row: JSONValue = .null
    public var subtask: String? { nil }

    public init(text: String, targets: [String], exemplarAnswer: String? = nil, tests: String? = nil, codePrefix: String = "") {
        self.text = text; self.targets = targets; self.exemplarAnswer = exemplarAnswer ?? targets.first ?? ""
        self.tests = tests; self.codePrefix = codePrefix
    }
}

/// A filter pipeline (the YAML's `filter_list` entry): steps applied to the generation.
public enum FilterStep: Sendable, Equatable {
    case stripWhitespace                                   // remove_whitespace: str.strip()
    case regex(pattern: String, group: Int, fallback: String)   // regex: findall, match[group_select]
    // take_first is implicit: there is one response per document.
}

/// exact_match's keyword arguments.
public struct ExactMatchConfig: Sendable, Equatable {
    public var ignoreCase: Bool
    public var ignorePunctuation: Bool
    public var regexesToIgnore: [String]
}

/// How a task's responses are scored.
public enum GenerationScoring: Sendable {
    case exactMatch(ExactMatchConfig)
    /// The candidate (`codePrefix + response`) and `"\n" + tests` run in the sandbox; pass@k over the
    /// samples (`key`: the harness's metric name, "pass@1" or "pass_at_1").
    case execution(metric: String)
}

public struct GenerationTask: Sendable {
    public var name: String
    public var version: Double
    public var description = ""
    public var targetDelimiter = " "
    public var fewshotDelimiter = "\n\n"
    public var until: [String]
    public var filters: [(name: String, steps: [FilterStep])]
    public var scoring: GenerationScoring
    public var defaultShots = 0
    /// The YAML's max_gen_toks (nil: the HF backend's 256).
    public var maxGenToks: Int? = nil
    public var sampler = FewShotSampler.random
    /// Exemplars the task itself supplies (MBPP's `list_fewshot_samples`).
    public var fixedExemplars: [JSONValue]? = nil
    public var datasetPath: String, datasetName: String?
    public var docToText: String, docToTarget: String
    public var render: @Sendable (JSONValue) throws(DocError) -> GenDoc

    public var exactMatch: ExactMatchConfig {
        if case .exactMatch(let c) = scoring { return c }
        return ExactMatchConfig(ignoreCase: false, ignorePunctuation: false, regexesToIgnore: [])
    }

    public static let all: [GenerationTask] = [nqOpen, triviaQA, gsm8k, humaneval, mbpp]
    public static func named(_ name: String) -> GenerationTask? { all.first { $0.name == name } }

    static let shortAnswerFilter: [(name: String, steps: [FilterStep])] = [("remove_whitespace", [.stripWhitespace])]

    /// `Q: {{question}}?\nA:`, targets `{{answer}}` (the list of answers), description
    /// "Answer these questions:\n\n", exemplars separated by "\n".
    static let nqOpen = GenerationTask(
        name: "nq_open", version: 4.0, description: "Answer these questions:\n\n", fewshotDelimiter: "\n",
        until: ["\n", ".", ","], filters: shortAnswerFilter,
        scoring: .exactMatch(.init(ignoreCase: true, ignorePunctuation: true, regexesToIgnore: ["\\b(?:The |the |An |A |The |a |an )"])),
        datasetPath: "google-research-datasets/nq_open", datasetName: nil,
        docToText: "Q: {{question}}?\nA:", docToTarget: "{{answer}}") { (d: JSONValue) throws(DocError) in
        let answers = try strings(d, "answer")
        guard !answers.isEmpty else { throw DocError(field: "answer", reason: "an empty list of answers") }
        return GenDoc(text: "Q: \(try string(d, "question"))?\nA:", targets: answers)
    }

    /// `Question: {{question}}?\nAnswer:`, targets `{{answer.aliases}}` (rc.nocontext).
    static let triviaQA = GenerationTask(
        name: "triviaqa", version: 3.0,
        until: ["\n", ".", ","], filters: shortAnswerFilter,
        scoring: .exactMatch(.init(ignoreCase: true, ignorePunctuation: true, regexesToIgnore: [])),
        datasetPath: "mandarjoshi/trivia_qa", datasetName: "rc.nocontext",
        docToText: "Question: {{question}}?\nAnswer:", docToTarget: "{{answer.aliases}}") { (d: JSONValue) throws(DocError) in
        let aliases = try strings(d, "answer", "aliases")
        guard !aliases.isEmpty else { throw DocError(field: "answer.aliases", reason: "an empty list of aliases") }
        return GenDoc(text: "Question: \(try string(d, "question"))?\nAnswer:", targets: aliases)
    }

    /// `Question: {{question}}\nAnswer:`, target the whole `answer` (reasoning, then `#### N`); 5-shot;
    /// filters strict-match (`#### N`) and flexible-extract (the last number).
    static let gsm8k = GenerationTask(
        name: "gsm8k", version: 3.0,
        until: ["Question:", "</s>", "<|im_end|>"],
        filters: [("strict-match", [.regex(pattern: "#### (\\-?[0-9\\.\\,]+)", group: 0, fallback: "[invalid]")]),
                  ("flexible-extract", [.regex(pattern: "(-?[$0-9.,]{2,})|(-?[0-9]+)", group: -1, fallback: "[invalid]")])],
        scoring: .exactMatch(.init(ignoreCase: true, ignorePunctuation: false, regexesToIgnore: [",", "\\$", "(?s).*#### ", "\\.$"])),
        defaultShots: 5, datasetPath: "openai/gsm8k", datasetName: "main",
        docToText: "Question: {{question}}\nAnswer:", docToTarget: "{{answer}}") { (d: JSONValue) throws(DocError) in
        GenDoc(text: "Question: \(try string(d, "question"))\nAnswer:", targets: [try string(d, "answer")])
    }
}

extension EvalRows {
    /// The rows of `path` rendered by a generation task.
    public static func documents(_ path: String, task: GenerationTask) throws -> [GenDoc] {
        try read(path).map { row in
            do throws(DocError) {
                var d = try task.render(row.value)
                d.line = row.line
                d.row = row.value
                return d
            } catch {
                throw InputError(.invalidValue, file: path, line: row.line, field: error.field, error.reason)
            }
        }
    }
}
