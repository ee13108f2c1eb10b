// HarnessTasks.swift: the multiple-choice tasks of lm-evaluation-harness 0.4.x with their default
// templates (the task YAMLs and utils.py of lm_eval 0.4.13), reading rows as the Hugging Face datasets
// export them. docs/EVAL.md quotes each template.
import SpindleIO

/// One row made into the harness's pieces: the prompt (`doc_to_text`), the choices (`doc_to_choice`),
/// the gold index (`doc_to_target`), the task description, and the subtask it belongs to (MMLU subject).
public struct ChoiceDoc: Sendable, Equatable {
    public var text: String
    public var choices: [String]
    public var gold: Int
    public var description = ""
    public var subtask: String? = nil
    public var line = 0            // the row's line in its file, for error messages
    public var row: JSONValue = .null   // the row itself (the sampler leaves out an exemplar equal to the question)
    /// Multiple-input tasks (WinoGrande): the choices are contexts, all scored on this continuation
    /// (`doc_to_target`), and `text` is unused.
    public var suffix: String? = nil
}

/// A row that does not fit the task's template.
public struct DocError: Error, Sendable {
    public let field: String
    public let reason: String
}

/// How few-shot exemplars are chosen (the YAML's `fewshot_config.sampler`).
public enum FewShotSampler: String, Sendable { case firstN = "first_n", random = "default" }

public struct HarnessTask: Sendable {
    public let name: String
    public let metrics: [String]          // "acc", "acc_norm"
    public let version: Double
    public let sampler: FewShotSampler
    public let render: @Sendable (JSONValue) throws(DocError) -> ChoiceDoc

    public static let all: [HarnessTask] = [arcEasy, arcChallenge, hellaswag, piqa, boolq, mmlu, openbookqa, sciq, copa, socialIQA, commonsenseQA, winogrande]
    public static func named(_ name: String) -> HarnessTask? { all.first { $0.name == name } }

    static let arcEasy = arc("arc_easy")
    static let arcChallenge = arc("arc_challenge")
    /// `Question: {{question}}\nAnswer:`, choices `choices.text`, gold `choices.label.index(answerKey)`.
    static func arc(_ name: String) -> HarnessTask {
        HarnessTask(name: name, metrics: ["acc", "acc_norm"], version: 1.0, sampler: .random) { (d: JSONValue) throws(DocError) in
            let labels = try strings(d, "choices", "label"), key = try string(d, "answerKey")
            guard let gold = labels.firstIndex(of: key) else { throw DocError(field: "answerKey", reason: "\(key) is not one of the labels \(labels)") }
            return ChoiceDoc(text: "Question: \(try string(d, "question"))\nAnswer:", choices: try strings(d, "choices", "text"), gold: gold)
        }
    }

    /// utils.process_docs: query = preprocess(activity_label + ": " + ctx_a + " " + ctx_b.capitalize()).
    static let hellaswag = HarnessTask(name: "hellaswag", metrics: ["acc", "acc_norm"], version: 1.0, sampler: .random) { (d: JSONValue) throws(DocError) in
        let ctx = try string(d, "ctx_a") + " " + PythonText.capitalize(try string(d, "ctx_b"))
        return ChoiceDoc(text: hellaswagPreprocess(try string(d, "activity_label") + ": " + ctx),
                         choices: try strings(d, "endings").map(hellaswagPreprocess), gold: try int(d, "label"))
    }

    static func hellaswagPreprocess(_ text: String) -> String {
        var t = PythonText.strip(text)
        t = t.replacingOccurrences(of: " [title]", with: ". ")
        t = PythonText.sub("\\[.*?\\]", "", t)
        return t.replacingOccurrences(of: "  ", with: " ")
    }

    /// `Question: {{goal}}\nAnswer:`, choices [sol1, sol2], gold `label`.
    static let piqa = HarnessTask(name: "piqa", metrics: ["acc", "acc_norm"], version: 1.0, sampler: .random) { (d: JSONValue) throws(DocError) in
        ChoiceDoc(text: "Question: \(try string(d, "goal"))\nAnswer:", choices: [try string(d, "sol1"), try string(d, "sol2")], gold: try int(d, "label"))
    }

    /// `{{passage}}\nQuestion: {{question}}?\nAnswer:`, choices [no, yes]. Gold: SuperGLUE's `label`
    /// (0/1), or google/boolq's `answer` (false/true) as ../shared/data/eval has it.
    static let boolq = HarnessTask(name: "boolq", metrics: ["acc"], version: 2.0, sampler: .random) { (d: JSONValue) throws(DocError) in
        let gold: Int
        if d["label"] != nil { gold = try int(d, "label") } else {
            guard let b = d["answer"]?.boolValue else { throw DocError(field: "answer", reason: "missing or not a boolean (and no label)") }
            gold = b ? 1 : 0
        }
        return ChoiceDoc(text: "\(try string(d, "passage"))\nQuestion: \(try string(d, "question"))?\nAnswer:", choices: ["no", "yes"], gold: gold)
    }

    /// The per-subject default template; 5-shot exemplars are the subject's first dev rows (first_n).
    static let mmlu = HarnessTask(name: "mmlu", metrics: ["acc"], version: 1.0, sampler: .firstN) { (d: JSONValue) throws(DocError) in
        let c = try strings(d, "choices")
        guard c.count == 4 else { throw DocError(field: "choices", reason: "\(c.count) choices, the template has 4") }
        let subject = try string(d, "subject")
        guard MMLUCategories.category[subject] != nil else { throw DocError(field: "subject", reason: "\(subject) is not one of MMLU's 57 subjects") }
        let text = "\(PythonText.strip(try string(d, "question")))\nA. \(c[0])\nB. \(c[1])\nC. \(c[2])\nD. \(c[3])\nAnswer:"
        return ChoiceDoc(text: text, choices: ["A", "B", "C", "D"], gold: try int(d, "answer"),
                         description: "The following are multiple choice questions (with answers) about \(subject.replacingOccurrences(of: "_", with: " ")).\n\n",
                         subtask: "mmlu_" + subject)
    }

    /// `{{question_stem}}`, choices `choices.text`, gold `choices.label.index(answerKey.lstrip())`.
    static let openbookqa = HarnessTask(name: "openbookqa", metrics: ["acc", "acc_norm"], version: 1.0, sampler: .random) { (d: JSONValue) throws(DocError) in
        let labels = try strings(d, "choices", "label"), key = PythonText.lstrip(try string(d, "answerKey"))
        guard let gold = labels.firstIndex(of: key) else { throw DocError(field: "answerKey", reason: "\(key) is not one of the labels \(labels)") }
        return ChoiceDoc(text: try string(d, "question_stem"), choices: try strings(d, "choices", "text"), gold: gold)
    }

    /// `{{support.lstrip()}}\nQuestion: {{question}}\nAnswer:`, choices [distractor1..3, correct_answer], gold 3.
    static let sciq = HarnessTask(name: "sciq", metrics: ["acc", "acc_norm"], version: 1.0, sampler: .random) { (d: JSONValue) throws(DocError) in
        ChoiceDoc(text: "\(PythonText.lstrip(try string(d, "support")))\nQuestion: \(try string(d, "question"))\nAnswer:",
                  choices: [try string(d, "distractor1"), try string(d, "distractor2"), try string(d, "distractor3"), try string(d, "correct_answer")], gold: 3)
    }

    /// super_glue/copa utils: premise.strip() without its last character + " because"/" therefore";
    /// choices " " + choice with its first character lower-cased.
    static let copa = HarnessTask(name: "copa", metrics: ["acc"], version: 1.0, sampler: .random) { (d: JSONValue) throws(DocError) in
        let q = try string(d, "question")
        guard let connector = ["cause": "because", "effect": "therefore"][q] else { throw DocError(field: "question", reason: "\(q) is neither cause nor effect") }
        let premise = PythonText.strip(try string(d, "premise"))
        func lowerFirst(_ s: String) -> String { s.isEmpty ? s : PythonText.lower(String(s.unicodeScalars.first!)) + String(s.unicodeScalars.dropFirst()) }
        return ChoiceDoc(text: String(premise.unicodeScalars.dropLast()) + " \(connector)",
                         choices: [" " + lowerFirst(try string(d, "choice1")), " " + lowerFirst(try string(d, "choice2"))], gold: try int(d, "label"))
    }

    /// `Q: {{context}} {{question}}\nA:`, choices [answerA, answerB, answerC], gold `label|int - 1`.
    static let socialIQA = HarnessTask(name: "social_iqa", metrics: ["acc"], version: 0.0, sampler: .random) { (d: JSONValue) throws(DocError) in
        let label = d["label"]?.stringValue.flatMap { Int(PythonText.strip($0)) } ?? d["label"]?.intValue
        guard let label else { throw DocError(field: "label", reason: "missing or not a number") }
        return ChoiceDoc(text: "Q: \(try string(d, "context")) \(try string(d, "question"))\nA:",
                         choices: [try string(d, "answerA"), try string(d, "answerB"), try string(d, "answerC")], gold: label - 1)
    }

    /// Question with lettered choices A–E; the continuation is the letter.
    static let commonsenseQA = HarnessTask(name: "commonsense_qa", metrics: ["acc"], version: 0.0, sampler: .random) { (d: JSONValue) throws(DocError) in
        let t = try strings(d, "choices", "text"), letters = ["A", "B", "C", "D", "E"]
        guard t.count == 5 else { throw DocError(field: "choices.text", reason: "\(t.count) choices, the template has 5") }
        let key = try string(d, "answerKey")
        guard let gold = letters.firstIndex(of: key) else { throw DocError(field: "answerKey", reason: "\(key) is not A–E") }
        let text = "Question: \(PythonText.strip(try string(d, "question")))\n" + (0..<5).map { "\(letters[$0]). \(t[$0])\n" }.joined() + "Answer:"
        return ChoiceDoc(text: text, choices: letters, gold: gold)
    }
}

/// preprocess_winogrande.py: the choices are `sentence[:i] + option` for i the index of "_", the
/// continuation `sentence[i+1:].strip()`, gold `{"1": 0, "2": 1}[answer]`; acc only.
extension HarnessTask {
    static let winogrande = HarnessTask(name: "winogrande", metrics: ["acc"], version: 1.0, sampler: .random) { (d: JSONValue) throws(DocError) in
        let sentence = try string(d, "sentence"), answer = try string(d, "answer")
        guard let gold = ["1": 0, "2": 1][answer] else { throw DocError(field: "answer", reason: "\(answer.debugDescription) is neither \"1\" nor \"2\"") }
        let u = sentence.unicodeScalars
        guard let blank = u.firstIndex(of: "_") else { throw DocError(field: "sentence", reason: "no \"_\" to put the option in") }
        let head = String(u[..<blank])
        return ChoiceDoc(text: "", choices: [head + (try string(d, "option1")), head + (try string(d, "option2"))], gold: gold,
                         suffix: PythonText.strip(String(u[u.index(after: blank)...])))
    }
}

// MARK: field access

func string(_ d: JSONValue, _ key: String) throws(DocError) -> String {
    guard let v = d[key] else { throw DocError(field: key, reason: "missing") }
    guard let s = v.stringValue else { throw DocError(field: key, reason: "expected a string, found \(v.typeName)") }
    return s
}

func int(_ d: JSONValue, _ key: String) throws(DocError) -> Int {
    guard let v = d[key] else { throw DocError(field: key, reason: "missing") }
    if let i = v.intValue { return i }
    if let s = v.stringValue, let i = Int(s) { return i }
    throw DocError(field: key, reason: "expected an integer, found \(v.typeName)")
}

func strings(_ d: JSONValue, _ keys: String...) throws(DocError) -> [String] {
    var v: JSONValue? = d
    for k in keys { v = v?[k] }
    let path = keys.joined(separator: ".")
    guard let a = v?.arrayValue else { throw DocError(field: path, reason: "missing or not an array") }
    var out: [String] = []
    for e in a {
        guard let s = e.stringValue else { throw DocError(field: path, reason: "an element is \(e.typeName), not a string") }
        out.append(s)
    }
    return out
}
