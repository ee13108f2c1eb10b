// Cross-check with lm-evaluation-harness 0.4.x's `hf` backend (setup: `.ci/python-env`, which installs
// lm-eval and accelerate into the peers' venv; or `pip install "lm-eval==0.4.*" accelerate torch
// transformers sentencepiece` and SPINDLE_PYTHON pointing at that interpreter). lm_eval_crosscheck.py
// trains a 1024-piece BPE (Llama 2's SentencePiece
// settings), writes a tiny random HF Llama (context 256), the rows and custom task YAMLs
// (`dataset_path: json`), and runs the harness with --log_samples; here Spindle scores the same rows.
// Asserted: the same prompts, per-request log-likelihoods within 1e-4 (or, for |ll| above ~800, two
// float32 ulps of it: the harness returns `float(logits.sum())` of a float32 tensor, so its own value
// is only that fine), identical acc and acc_norm, and the same rolling-window perplexities.
import Foundation
import Testing
import SpindleIO
import SpindleTokenizer
@testable import SpindleEval
@testable import SpindleTrainer
import SpindleTestSupport

extension Requirement {
    static var lmEval: Requirement {
        let all = [Requirement.python("lm_eval", "accelerate", "torch", "transformers", "sentencepiece"),
                   .sharedData("eval/arc_easy.jsonl.gz"), .sharedData("eval/hellaswag.jsonl.gz"), .sharedData("eval/piqa.jsonl.gz"),
                   .sharedData("eval/boolq.jsonl.gz"), .sharedData("eval/mmlu_dev.jsonl.gz"), .sharedData("pretrain/en/wikitext-2/valid.txt")]
        let missing = all.filter { !$0.isMet }
        return Requirement(missing.isEmpty, missing.map(\.reason).joined(separator: "; "))
    }
}

struct CrossCheckFailure: Error, CustomStringConvertible { var message: String; var description: String { message } }

struct HarnessRecord: Decodable {
    var acc: Double?
    var acc_norm: Double?
    var lls: [[Double]]
    var contexts: [String]
}

struct HarnessPPL: Decodable {
    var lls: [Double]
    var word_perplexity: Double, byte_perplexity: Double, bits_per_byte: Double
}

@Suite(.requires(.lmEval), .serialized)
struct EvalCrossCheckTests {
    static let work: Result<String, Error> = Result {
        let dir = TempDir("lmevalx").path
        let r = try Python.run([TestPaths.package("Tests/SpindleEvalTests/lm_eval_crosscheck.py"), dir, SharedData.path("eval"),
                                SharedData.path("pretrain/en/wikitext-2/valid.txt")])
        guard r.status == 0 else { throw CrossCheckFailure(message: "lm_eval_crosscheck.py exited \(r.status): \(r.stderr.suffix(3000))") }
        return dir
    }

    func setup() throws -> (String, LMEvaluator) {
        let dir = try Self.work.get()
        let model = try Checkpoint.load(dir + "/model")
        let tok = try SentencePieceModel(contentsOf: dir + "/tokenizer.model")
        return (dir, try LMEvaluator(model: model, tokenizer: tok, rows: 8))
    }

    /// Compares one (sub)task; returns the max |Δ ll| and the request count.
    func compare(_ name: String, _ o: TaskOutcome, subtask: String?, harness: HarnessRecord) -> (Double, Int) {
        let idx = o.docs.indices.filter { subtask == nil || o.docs[$0].subtask == subtask }
        #expect(idx.count == harness.lls.count, "\(name): \(idx.count) documents, the harness \(harness.lls.count)")
        var worst = 0.0, worstRel = 0.0, n = 0
        for (k, i) in idx.enumerated() where k < harness.lls.count {
            #expect(o.requests[i][0].context == harness.contexts[k], "\(name) doc \(k): prompts differ")
            for (a, b) in zip(o.docs[i].logLikelihoods, harness.lls[k]) {
                let d = abs(a - b)
                #expect(d <= max(1e-4, 2 * Double(Float(b).ulp)), "\(name) doc \(k): ll \(a), the harness \(b)")
                worst = max(worst, d); worstRel = max(worstRel, d / abs(b)); n += 1
            }
        }
        let acc = o.metric("acc", subtask: subtask).value
        #expect(acc == harness.acc, "\(name): acc \(acc), the harness \(harness.acc ?? .nan)")
        if let h = harness.acc_norm {
            let accNorm = o.metric("acc_norm", subtask: subtask).value
            #expect(accNorm == h, "\(name): acc_norm \(accNorm), the harness \(h)")
        }
        print("lm-eval cross-check \(name): acc \(acc) acc_norm \(harness.acc_norm.map { "\($0)" } ?? "-") · max |Δ ll| \(worst) (relative \(worstRel)) over \(n) requests")
        return (worst, n)
    }

    func harness<T: Decodable>(_ dir: String, _ name: String) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(contentsOf: URL(fileURLWithPath: "\(dir)/harness/\(name).json")))
    }

    @Test(arguments: ["arc_easy", "hellaswag", "piqa", "boolq"])
    func zeroShotTask(_ name: String) throws {
        try zeroShot(name, minRequests: 40)
    }

    /// Tasks without data in ../shared, on rows written in each dataset's layout.
    @Test(arguments: ["arc_challenge", "openbookqa", "sciq", "copa", "social_iqa", "commonsense_qa"])
    func handwrittenRows(_ name: String) throws {
        try zeroShot(name, minRequests: 8)
    }

    /// The harness's seeded sampler: exemplars from a training split, and from the evaluated split itself.
    @Test(arguments: [("arc_easy_3shot", "arc_easy", "arc_easy_train", 3), ("piqa_2shot_same", "piqa", "piqa", 2)])
    func seededFewShot(_ name: String, _ taskName: String, _ poolFile: String, _ shots: Int) throws {
        let (dir, ev) = try setup()
        let task = HarnessTask.named(taskName)!
        let docs = try EvalRows.documents("\(dir)/data/\(taskName).jsonl", task: task)
        let pool = try EvalRows.documents("\(dir)/data/\(poolFile).jsonl", task: task)
        let ex = try fewShotExemplars(task: task, docs: docs, pool: pool, shots: shots, seed: 1234, sameSplit: poolFile == taskName)
        let o = try ev.run(task: task, docs: docs, shots: ex)
        _ = compare(name, o, subtask: nil, harness: try harness(dir, name))
    }

    func zeroShot(_ name: String, minRequests: Int) throws {
        let (dir, ev) = try setup()
        let task = HarnessTask.named(name)!
        let docs = try EvalRows.documents("\(dir)/data/\(name).jsonl", task: task)
        let o = try ev.run(task: task, docs: docs, shots: docs.map { _ in [] })
        let (_, n) = compare(name, o, subtask: nil, harness: try harness(dir, name))
        #expect(n >= minRequests)
    }

    @Test func mmluFiveShot() throws {
        let (dir, ev) = try setup()
        let task = HarnessTask.mmlu
        let docs = try EvalRows.documents("\(dir)/data/mmlu.jsonl", task: task)
        let pool = try EvalRows.documents("\(dir)/data/mmlu_dev.jsonl", task: task)
        let o = try ev.run(task: task, docs: docs, shots: try fewShotExemplars(task: task, docs: docs, pool: pool, shots: 5))
        #expect(o.subtasks.count == 3)
        for s in o.subtasks { _ = compare(s, o, subtask: s, harness: try harness(dir, s)) }
        // The four choices share their (truncated) 5-shot context: one forward per question, no steps.
        #expect(o.scorerForwards == docs.count && o.scorerSteps == 0)
    }

    @Test func wikitextPerplexity() throws {
        let (dir, ev) = try setup()
        try compareWikitext(dir: dir, ev: ev, harnessName: "wikitext")
    }

    /// WikiText's rolling log-likelihoods and perplexities against the harness's record `harnessName`.
    func compareWikitext(dir: String, ev: LMEvaluator, harnessName: String) throws {
        let h: HarnessPPL = try harness(dir, harnessName)
        let pages = try EvalRows.read("\(dir)/data/wikitext.jsonl").map { $0.value["page"]!.stringValue! }
        let o = try RollingPerplexity.run(pages.map { (wikitextDetokenize($0), $0) }, encoder: ev.encoder, scorer: ev.scorer)
        #expect(o.logLikelihoods.count == h.lls.count)
        let worst = zip(o.logLikelihoods, h.lls).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst <= 1e-4 * Double(o.windows), "max |Δ ll| per document \(worst) over \(o.windows) windows")
        for (got, want, m) in [(o.wordPerplexity, h.word_perplexity, "word"), (o.bytePerplexity, h.byte_perplexity, "byte"), (o.bitsPerByte, h.bits_per_byte, "bpb")] {
            #expect(abs(got - want) <= 1e-6 * want, "\(m): \(got) vs the harness \(want)")
        }
        print("lm-eval cross-check \(harnessName): word_perplexity \(o.wordPerplexity) vs \(h.word_perplexity), bits_per_byte \(o.bitsPerByte) vs \(h.bits_per_byte); max |Δ ll| per doc \(worst), \(o.windows) windows, \(o.tokens) tokens")
    }

    /// The command line end to end: `eval lm` (mmlu 5-shot, the group and its subjects) and `eval ppl`
    /// write the harness's results layout with the harness's numbers.
    @Test(.requires(.spindleBinary)) func commandLineWritesTheHarnessLayout() throws {
        let dir = try Self.work.get()
        let base = ["--checkpoint", dir + "/model", "--tokenizer", dir + "/tokenizer.model"]
        let lm = try runProcess(SpindleBinary.path, ["eval", "lm"] + base + ["--task", "mmlu", "--data", dir + "/data/mmlu.jsonl",
            "--fewshot-data", dir + "/data/mmlu_dev.jsonl", "--shots", "5", "--output", dir + "/mmlu.json", "--samples", dir + "/mmlu.samples.jsonl"])
        #expect(lm.status == 0, "\(lm.stderr)")
        let json = try JSONValue.parse(String(contentsOfFile: dir + "/mmlu.json", encoding: .utf8))
        var sizes: [Double] = [], accs: [Double] = []
        for s in ["abstract_algebra", "anatomy", "high_school_biology"] {
            let h: HarnessRecord = try harness(dir, "mmlu_" + s)
            let r = json["results"]?["mmlu_" + s]
            #expect(r?["acc,none"]?.doubleValue == h.acc && r?["alias"]?.stringValue == s)
            #expect(json["n-shot"]?["mmlu_" + s]?.intValue == 5 && json["configs"]?["mmlu_" + s]?["num_fewshot"]?.intValue == 5)
            sizes.append(Double(json["n-samples"]?["mmlu_" + s]?["effective"]?.intValue ?? 0)); accs.append(h.acc ?? .nan)
        }
        let pooled = zip(sizes, accs).map(*).reduce(0, +) / sizes.reduce(0, +)
        #expect(abs((json["results"]?["mmlu"]?["acc,none"]?.doubleValue ?? .nan) - pooled) < 1e-12)
        #expect(json["chance"]?["mmlu"]?.doubleValue == 0.25)
        // The three subjects are all STEM: the category group equals the whole, and lists them.
        #expect(json["results"]?["mmlu_stem"]?["acc,none"]?.doubleValue == json["results"]?["mmlu"]?["acc,none"]?.doubleValue)
        #expect(json["results"]?["mmlu_stem"]?["alias"]?.stringValue == "stem")
        #expect(json["group_subtasks"]?["mmlu"]?.arrayValue?.count == 1 && json["group_subtasks"]?["mmlu_stem"]?.arrayValue?.count == 3)
        let lines = try String(contentsOfFile: dir + "/mmlu.samples.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 15)
        #expect(lm.stdout.contains("mmlu  5-shot  acc "))

        let ppl = try runProcess(SpindleBinary.path, ["eval", "ppl"] + base + ["--data", dir + "/data/wikitext.jsonl", "--output", dir + "/ppl.json"])
        #expect(ppl.status == 0, "\(ppl.stderr)")
        let h: HarnessPPL = try harness(dir, "wikitext")
        let p = try JSONValue.parse(String(contentsOfFile: dir + "/ppl.json", encoding: .utf8))
        let wp = p["results"]?["wikitext"]?["word_perplexity,none"]?.doubleValue ?? .nan
        #expect(abs(wp - h.word_perplexity) <= 1e-6 * h.word_perplexity, "word_perplexity \(wp) vs the harness \(h.word_perplexity)")
    }
}
