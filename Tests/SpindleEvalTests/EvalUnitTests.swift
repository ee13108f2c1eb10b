// The pieces of `eval lm` / `eval ppl` that need no Python: the shared-prefix scorer against the full
// forward, the harness's rolling windows, metrics, Python string semantics and the task templates.
import Foundation
import Testing
import SpindleIO
@testable import SpindleEval
@testable import SpindleTrainer

func smallModel(maxSeqLen: Int = 48) throws -> LlamaModel {
    try LlamaModel(config: LlamaConfig(dim: 32, nLayers: 2, nHeads: 4, nKVHeads: 2, hiddenDim: 64, vocabSize: 50,
                                       maxSeqLen: maxSeqLen), seed: 11)
}

@Suite struct ContinuationScorerTests {
    /// Every span's per-token log-probs equal a full forward over it (Scorer), with or without a
    /// shared prefix, with more spans than rows, and with a continuation starting before the prefix ends.
    @Test(arguments: [1, 2, 8], [ContinuationScorer.Sharing.always, .never, .auto])
    func sharedPrefixEqualsFullForward(rows: Int, sharing: ContinuationScorer.Sharing) throws {
        let m = try smallModel()
        let ctx: [Int32] = [1, 7, 3, 9, 4, 4, 12]
        let spans = [ScoredSpan(tokens: ctx + [5], start: 7), ScoredSpan(tokens: ctx + [6, 8, 30, 2], start: 7),
                     ScoredSpan(tokens: ctx + [5, 5], start: 7), ScoredSpan(tokens: ctx + [9], start: 3),
                     ScoredSpan(tokens: [2, 3, 4, 5, 6], start: 2)]
        let sc = try ContinuationScorer(model: m, rows: rows)
        sc.sharing = sharing
        let got = try sc.score(spans)
        let full = Scorer(model: m)
        for (s, g) in zip(spans, got) {
            let want = try full.logProbs(s.tokens)[(s.start - 1)...]
            #expect(g.tokenLogProbs.count == want.count)
            let worst = zip(g.tokenLogProbs, want).map { abs($0 - $1) }.max()!
            #expect(worst < 1e-5, "\(s.tokens): max |Δ log p| \(worst)")
            #expect(abs(g.logLikelihood - want.reduce(0.0) { $0 + Double($1) }) < 1e-4)
        }
        if rows == 8 {   // the four choices of the context share one forward; the odd one out gets its own
            // always: 3 lockstep steps after the 7-token prefix; auto: one packed forward for all 4 tokens after it
            #expect(sc.prefills == 2 && sc.steps == (sharing == .never ? 0 : sharing == .auto ? 1 : 3))
        }
    }

    /// Packed continuations longer than one forward's rows (4 × 36 tokens after the prefix, 48 rows a
    /// forward) run in several forwards over the cache and still equal the full forward.
    @Test func packedContinuationsSpanSeveralForwards() throws {
        let m = try smallModel()
        let ctx: [Int32] = [1, 7, 3, 9, 4, 4, 12, 8, 2, 30, 31, 5]
        var spans: [ScoredSpan] = []
        for r in 0..<4 {
            let ending: [Int32] = (0..<36).map { (i: Int) -> Int32 in Int32((i * 7 + r * 13) % 49 + 1) }
            spans.append(ScoredSpan(tokens: ctx + ending, start: ctx.count))
        }
        let sc = try ContinuationScorer(model: m, rows: 4)
        let got = try sc.score(spans)
        #expect(sc.prefills == 1 && sc.steps == 3)   // 4 × 35 = 140 rows: 48 + 48 + 44
        let full = Scorer(model: m)
        for (s, g) in zip(spans, got) {
            let want = try full.logProbs(s.tokens)[(s.start - 1)...]
            let worst = zip(g.tokenLogProbs, want).map { abs($0 - $1) }.max()!
            #expect(g.tokenLogProbs.count == want.count && worst < 1e-5, "max |Δ log p| \(worst)")
        }
    }

    @Test func isGreedyIsTheArgmax() throws {
        let m = try smallModel()
        let ctx: [Int32] = [1, 7, 3]
        let lp = try Scorer(model: m).logProbs(ctx + [0])
        // Find the argmax of the last position by trying every token.
        let sc = try ContinuationScorer(model: m, rows: 50)
        let all = try sc.score((0..<50).map { ScoredSpan(tokens: ctx + [Int32($0)], start: 3) })
        let best = all.indices.max { all[$0].logLikelihood < all[$1].logLikelihood }!
        #expect(all.enumerated().allSatisfy { $0.element.isGreedy == ($0.offset == best) })
        #expect(abs(all[0].logLikelihood - Double(lp[2])) < 1e-5)
    }

    @Test func rejectsBadSpans() throws {
        let sc = try ContinuationScorer(model: try smallModel(maxSeqLen: 8), rows: 2)
        #expect(throws: TrainerError.self) { try sc.score([ScoredSpan(tokens: [1, 2], start: 0)]) }
        #expect(throws: TrainerError.self) { try sc.score([ScoredSpan(tokens: [1, 2], start: 2)]) }
        #expect(throws: TrainerError.self) { try sc.score([ScoredSpan(tokens: Array(repeating: 1, count: 10), start: 5)]) }
        #expect(throws: TrainerError.self) { try sc.score([ScoredSpan(tokens: [1, 50], start: 1)]) }
    }
}

@Suite struct RollingWindowTests {
    /// lm_eval.utils.get_rolling_token_windows + make_disjoint_window on tokens 1…10, max_len 4.
    @Test func harnessWindows() {
        let w = RollingWindows.spans(Array(1...10), prefix: 0, maxLength: 4)
        #expect(w == [ScoredSpan(tokens: [0, 1, 2, 3, 4], start: 1), ScoredSpan(tokens: [4, 5, 6, 7, 8], start: 1),
                      ScoredSpan(tokens: [6, 7, 8, 9, 10], start: 3)])
    }

    @Test(arguments: [1, 2, 5, 16, 17, 40])
    func everyTokenPredictedOnceWithinTheContext(n: Int) {
        let toks = (1...n).map { Int32($0) }
        let w = RollingWindows.spans(toks, prefix: 0, maxLength: 8)
        #expect(w.flatMap { Array($0.tokens[$0.start...]) } == toks)
        #expect(w.allSatisfy { $0.tokens.count <= 9 && $0.start >= 1 })
        #expect(RollingWindows.spans([], prefix: 0, maxLength: 8).isEmpty)
    }

    @Test func wikitextDetokenizer() {   // expected: preprocess_wikitext.wikitext_detokenizer on the same page
        #expect(wikitextDetokenize(" = = Career = = \n The 2 @,@ 000 @-@ year ( old ) record 's \" best \" . ") ==
                " == Career ==\nThe 2,000-year (old) record's \"best\". ")
    }
}

@Suite struct HarnessMetricTests {
    @Test func accNormDividesByCodePoints() {
        // Per code point −1 vs −0.75 (choice 1 wins); per UTF-8 byte it would be −0.5 vs −0.75.
        let d = DocOutcome(logLikelihoods: [-1.0, -1.5], greedy: [false, false], gold: 1, choices: ["é", "ab"])
        #expect(d.acc == 0 && d.accNorm == 1)
        #expect(argmax([-2, -1, -1]) == 1)
    }

    @Test func meanStderrAndPooling() {
        let v = MetricValue([1, 0, 1, 1])
        #expect(v.value == 0.75 && abs(v.stderr - 0.25) < 1e-12)
        #expect(MetricValue([1]).stderr.isNaN)
        let a = MetricValue([1, 0, 1, 1]), b = MetricValue([0, 0, 1, 0, 1, 0])
        let p = MetricValue.pooled([a, b])
        #expect(p.n == 10 && abs(p.value - 0.5) < 1e-12)
        let want = ((3 * 0.25 * 0.25 * 4 + 5 * b.stderr * b.stderr * 6) / 8 / 10).squareRoot()
        #expect(abs(p.stderr - want) < 1e-12)
    }
}

@Suite struct TemplateTests {
    func doc(_ task: String, _ json: String) throws -> ChoiceDoc {
        try HarnessTask.named(task)!.render(try JSONValue.parse(json))
    }

    @Test func pythonStrings() {
        #expect(PythonText.strip("\u{0B} a b\u{1F}\u{3000}") == "a b")
        #expect(PythonText.capitalize("the LADY") == "The lady")
        #expect(PythonText.splitWordCount(" a  b\n") == 4)   // ['', 'a', 'b', '']
        #expect(PythonText.length("é日") == 2)
    }

    @Test func hellaswagPreprocessing() throws {
        let d = try doc("hellaswag", #"{"activity_label": "Home and Garden", "ctx_a": "[header] How to clean a  grill [title] Heat it.", "ctx_b": "the GRILL", "endings": [" Scrub it [step] now. ", "b", "c", "d"], "label": "2"}"#)
        // Expected values: lm_eval/tasks/hellaswag/utils.py run on the same row.
        #expect(d.text == "Home and Garden: How to clean a grill. Heat it. The grill")
        #expect(d.choices[0] == "Scrub it now." && d.gold == 2)
    }

    @Test func mmluDescriptionAndLetters() throws {
        let d = try doc("mmlu", #"{"question": " What is 2+2? ", "subject": "high_school_mathematics", "choices": ["3", "4", "5", "6"], "answer": 1}"#)
        #expect(d.text == "What is 2+2?\nA. 3\nB. 4\nC. 5\nD. 6\nAnswer:")
        #expect(d.description == "The following are multiple choice questions (with answers) about high school mathematics.\n\n")
        #expect(d.subtask == "mmlu_high_school_mathematics" && d.choices == ["A", "B", "C", "D"] && d.gold == 1)
        let ctx = harnessContext(d, shots: [d])
        #expect(ctx == d.description + d.text + " B\n\n" + d.text)
    }

    @Test func boolqReadsEitherLayout() throws {
        #expect(try doc("boolq", #"{"question": "is it", "passage": "P", "answer": true}"#).gold == 1)
        #expect(try doc("boolq", #"{"question": "is it", "passage": "P", "label": 0}"#).gold == 0)
        #expect(try doc("boolq", #"{"question": "is it", "passage": "P", "answer": true}"#).text == "P\nQuestion: is it?\nAnswer:")
    }

    @Test func badRowsNameTheField() {
        #expect(throws: DocError.self) { try doc("arc_easy", #"{"question": "q", "choices": {"text": ["a"], "label": ["A"]}, "answerKey": "B"}"#) }
        #expect(throws: DocError.self) { try doc("piqa", #"{"goal": "g", "sol1": "a", "sol2": 3, "label": 0}"#) }
        #expect(throws: DocError.self) { try doc("copa", #"{"premise": "p.", "choice1": "a", "choice2": "b", "question": "why", "label": 0}"#) }
    }

    @Test func firstNTakesTheSubjectsFirstRows() throws {
        let t = HarnessTask.mmlu
        func row(_ s: String, _ q: String) throws -> ChoiceDoc {
            try t.render(try JSONValue.parse(#"{"question": "\#(q)", "subject": "\#(s)", "choices": ["a", "b", "c", "d"], "answer": 0}"#))
        }
        let pool = try [row("anatomy", "1"), row("virology", "2"), row("anatomy", "3"), row("anatomy", "4")]
        let shots = try fewShotExemplars(task: t, docs: [row("anatomy", "q")], pool: pool, shots: 2)
        #expect(shots[0].map(\.text.first) == ["1", "3"])
        #expect(throws: EvalError.self) { try fewShotExemplars(task: t, docs: [row("virology", "q")], pool: pool, shots: 2) }
        #expect(throws: DocError.self) { try row("x", "q") }   // not one of the 57 subjects
    }

    /// Values from CPython: random.Random(1234).getrandbits(32) ×3; .sample(range(10), 3), then
    /// (range(10), 4); Random(1234).sample(range(1000), 5) (the set path), then (range(30), 7).
    @Test func pythonRandomMatchesCPython() {
        var r = PythonRandom(seed: 1234)
        #expect((0..<3).map { _ in r.getrandbits(32) } == [4150886329, 3342196574, 1892932127])
        r = PythonRandom(seed: 1234)
        #expect(r.sample(populationSize: 10, count: 3) == [7, 1, 0] && r.sample(populationSize: 10, count: 4) == [1, 0, 9, 8])
        r = PythonRandom(seed: 1234)
        #expect(r.sample(populationSize: 1000, count: 5) == [989, 796, 451, 119, 7])
        #expect(r.sample(populationSize: 30, count: 7) == [2, 25, 18, 1, 21, 22, 29])
        r = PythonRandom(seed: 42)
        #expect(r.sample(populationSize: 5, count: 5) == [0, 4, 2, 1, 3])
    }
}

@Suite struct ResultsTableTests {
    /// The results JSON's `summary` rows carry value, stderr, n, shots and chance per (task, metric), and
    /// the HTML table shows them; a harness-layout JSON without `summary` gives the same rows.
    @Test func summaryRowsAndTable() throws {
        let docs = [DocOutcome(logLikelihoods: [-1, -2], greedy: [true, false], gold: 0, choices: ["a", "bb"], subtask: nil),
                    DocOutcome(logLikelihoods: [-3, -1, -2], greedy: [false, true, false], gold: 0, choices: ["a", "b", "c"], subtask: nil)]
        let o = TaskOutcome(task: HarnessTask.named("piqa")!, shots: 0, docs: docs, requests: [[], []], scorerForwards: 0, scorerSteps: 0)
        let json = HarnessResults.json(blocks: [o.block(dataFile: "piqa.jsonl")], limit: nil, model: "m")
        let rows = try ResultsTable.rows(json, file: "r.json")
        #expect(rows.map(\.metric) == ["acc", "acc_norm"])
        let acc = rows[0]
        #expect(acc.task == "piqa" && acc.value == 0.5 && acc.n == 2 && acc.shots == 0)
        #expect(abs(acc.chance! - (0.5 + 1.0 / 3) / 2) < 1e-12 && abs(acc.stderr! - 0.5) < 1e-12)
        guard case .object(let members) = json else { Issue.record("not an object"); return }
        let harnessOnly = JSONValue.object(members.filter { $0.0 != "summary" })
        #expect(try ResultsTable.rows(harnessOnly, file: "r.json") == rows)
        let html = ResultsTable.html(title: "t <x>", columns: [("a", rows), ("b", [])])
        #expect(html.contains("<td class=num>0.4167</td>") && html.contains("0.5000 <small>± 0.5000</small>") && html.contains("t &lt;x&gt;"))
        #expect(!html.contains("http"))   // offline: no external asset
    }
}
