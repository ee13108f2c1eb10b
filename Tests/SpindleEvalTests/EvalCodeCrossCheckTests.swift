// HumanEval and MBPP against lm-eval 0.4.x's humaneval/mbpp tasks (lm_eval_code_crosscheck.py): the
// harness's prompts (MBPP 3-shot from its built-in exemplars), stop strings, candidate programs (its
// create_test filter) and test programs (doc_to_target) equal Spindle's; and fixed candidate responses
// (passing, failing, crashing, looping, exiting early, a `__main__` block, a syntax error) run in
// Spindle's sandbox get HF `evaluate`'s code_eval verdicts and pass@1, pass@2, pass@5.
//
// Setup: `.ci/python-env` (lm-eval brings `evaluate`). The verdicts need the code_eval module itself,
// which `evaluate.load("code_eval")` fetches from the Hugging Face Hub (or its cache,
// ~/.cache/huggingface/modules); where neither is reachable that one test is skipped and says so, and
// the other checks the verdicts code_eval's semantics give (exec in fresh globals; any exception,
// SystemExit included, fails).
import Foundation
import Testing
import SpindleIO
@testable import SpindleEval
import SpindleTestSupport

struct HarnessCode: Decodable {
    struct Task: Decodable {
        var contexts: [String]
        var until: [String]
        var max_gen_toks: Int?
        var references: [String]
        var predictions: [[String]]
        var pass_at_k: [[String: Double]]?
        var results: [[String]]?
        var task_metric: [[String: Double]]?
    }
    var code_eval: String?
    var humaneval: Task
    var mbpp: Task
}

@Suite(.requires(.python("lm_eval", "evaluate"), .sharedData("pretrain/code/HumanEval.jsonl.gz")), .serialized)
struct EvalCodeCrossCheckTests {
    static let work: Result<String, Error> = Result {
        let dir = TempDir("lmevalcode").path
        let r = try Python.run([TestPaths.package("Tests/SpindleEvalTests/lm_eval_code_crosscheck.py"), dir, SharedData.path("pretrain/code/HumanEval.jsonl.gz")])
        guard r.status == 0 else { throw CrossCheckFailure(message: "lm_eval_code_crosscheck.py exited \(r.status): \(r.stderr.suffix(3000))") }
        return dir
    }
    static var harness: HarnessCode {
        get throws { try JSONDecoder().decode(HarnessCode.self, from: Data(contentsOf: URL(fileURLWithPath: try work.get() + "/harness/code.json"))) }
    }
    static var codeEvalLoads: Bool { (try? harness.code_eval == nil) ?? false }

    /// Spindle's documents, exemplars and candidate responses for one task.
    func load(_ name: String) throws -> (GenerationTask, [GenDoc], [GenDoc], [[String]]) {
        let dir = try Self.work.get()
        let task = GenerationTask.named(name)!
        let docs = try EvalRows.documents("\(dir)/data/\(name).jsonl", task: task)
        let exemplars = try (task.fixedExemplars ?? []).map { try task.render($0) }
        let cands = try JSONDecoder().decode([String: [[String]]].self, from: Data(contentsOf: URL(fileURLWithPath: dir + "/data/candidates.json")))[name]!
        return (task, docs, exemplars, cands)
    }

    @Test(arguments: ["humaneval", "mbpp"])
    func promptsStopsAndProgramsAreTheHarnesss(_ name: String) throws {
        let (task, docs, exemplars, cands) = try load(name)
        let h = name == "humaneval" ? try Self.harness.humaneval : try Self.harness.mbpp
        #expect(docs.count == 3 && h.contexts.count == 3)
        #expect(task.until == h.until, "\(name): until \(task.until), the harness \(h.until)")
        #expect(task.maxGenToks == h.max_gen_toks)
        #expect(exemplars.count == (name == "mbpp" ? 3 : 0))
        for (i, d) in docs.enumerated() where i < h.contexts.count {
            #expect(GenerationEvaluator.context(task, d, shots: exemplars) == h.contexts[i], "\(name) doc \(i): prompts differ")
            #expect(d.tests == h.references[i], "\(name) doc \(i): test programs differ")
            #expect(cands[i].map { d.codePrefix + $0 } == h.predictions[i], "\(name) doc \(i): candidate programs differ")
        }
    }

    /// The verdicts code_eval gives these candidates (its execute.py: exec(program, {}) in a child
    /// process, any exception fails, a 3 s timeout): the reference solution passes; a wrong answer, a
    /// crash, sys.exit(0) inside the function or before the tests, exit(0), and a syntax error fail;
    /// MBPP's `if __name__ == '__main__':` block does not run (`__name__` is "builtins"), so it passes;
    /// the loops time out.
    @Test func verdictsFollowCodeEvalsSemantics() throws {
        let sandbox = CodeSandbox(python: Python.executable)
        for name in ["humaneval", "mbpp"] {
            let (_, docs, _, cands) = try load(name)
            for (i, d) in docs.enumerated() {
                let got = try cands[i].map { try sandbox.run(d.codePrefix + $0 + "\n" + (d.tests ?? "")) }
                let want: [String] = name == "humaneval"
                    ? ["passed", "failed", "failed", "failed", "failed", "failed"] + (i == 0 ? ["timed out"] : [])
                    : ["passed", "failed", "failed", "passed", "failed", "failed"] + (i == 0 ? ["timed out"] : [])
                #expect(got.map { $0.passed ? "passed" : $0 == .timedOut ? "timed out" : "failed" } == want, "\(name) doc \(i): \(got.map(\.description))")
            }
        }
    }

    @Test(.enabled(if: codeEvalLoads, "HF evaluate's code_eval module does not load here (no Hub access, not cached)"))
    func passAtKEqualsCodeEval() throws {
        let h = try Self.harness
        let sandbox = CodeSandbox(python: Python.executable)
        for (name, ht) in [("humaneval", h.humaneval), ("mbpp", h.mbpp)] {
            let (_, docs, _, cands) = try load(name)
            var spindleMean = [Double](repeating: 0, count: 3), harnessMean = [Double](repeating: 0, count: 3)
            for (i, d) in docs.enumerated() {
                let runs = try cands[i].map { try sandbox.run(d.codePrefix + $0 + "\n" + (d.tests ?? "")) }
                let verdicts = ht.results![i].map { $0 == "passed" ? "passed" : $0 == "timed out" ? "timed out" : "failed" }
                #expect(runs.map { $0.passed ? "passed" : $0 == .timedOut ? "timed out" : "failed" } == verdicts, "\(name) doc \(i): \(runs.map(\.description)) vs \(ht.results![i])")
                let c = runs.filter(\.passed).count
                for (j, k) in [1, 2, 5].enumerated() {
                    let mine = passAtK(n: runs.count, c: c, k: k), theirs = ht.pass_at_k![i]["pass@\(k)"]!
                    #expect(abs(mine - theirs) < 1e-12, "\(name) doc \(i) pass@\(k): \(mine), code_eval \(theirs)")
                    spindleMean[j] += mine / 3; harnessMean[j] += theirs / 3
                }
                let first = ht.task_metric![i].values.first!
                #expect((runs[0].passed ? 1.0 : 0.0) == first, "\(name) doc \(i): the task's metric on the first candidate")
            }
            print("lm-eval code cross-check \(name): pass@1/2/5 \(spindleMean) = code_eval \(harnessMean)")
        }
    }
}
