// The generation tasks, WinoGrande and exact_match's normalisation against lm-eval 0.4.x (the same
// script and model as EvalCrossCheckTests): identical prompts, identical greedy generations (max_gen_toks
// 32, the model's context 256), identical filtered answers and exact_match per document and per task.
import Foundation
import Testing
import SpindleIO
import SpindleTokenizer
@testable import SpindleEval
@testable import SpindleTrainer
import SpindleTestSupport

struct HarnessGeneration: Decodable {
    var em: [String: Double]
    var gens: [String]
    var contexts: [String]
    var filtered: [String: [String]]
    var scores: [String: [Double]]
}

struct HarnessFilterProbes: Decodable {
    var probes: [String]
    var regex: [String: [String]]
    var em: [String: [Double]]
}

extension EvalCrossCheckTests {
    /// (harness task, task, rows, exemplar rows, shots)
    @Test(arguments: [("nq_open", "nq_open", "nq_open", nil, 0), ("nq_open_2shot_same", "nq_open", "nq_open", "nq_open", 2),
                      ("nq_open_hits", "nq_open", "nq_open_hits", nil, 0), ("triviaqa", "triviaqa", "triviaqa", nil, 0),
                      ("triviaqa_hits", "triviaqa", "triviaqa_hits", nil, 0), ("gsm8k", "gsm8k", "gsm8k", "gsm8k_train", 2)] as [(String, String, String, String?, Int)])
    func generationTask(_ name: String, _ taskName: String, _ file: String, _ poolFile: String?, _ shots: Int) throws {
        let dir = try Self.work.get()
        let task = GenerationTask.named(taskName)!
        let model = try Checkpoint.load(dir + "/model")
        let tok = try SentencePieceModel(contentsOf: dir + "/tokenizer.model")
        let ev = try GenerationEvaluator(model: model, tokenizer: tok, maxGenToks: 32)
        let docs = try EvalRows.documents("\(dir)/data/\(file).jsonl", task: task)
        let pool = try poolFile.map { try EvalRows.documents("\(dir)/data/\($0).jsonl", task: task) } ?? []
        let ex = try fewShotExemplars(name: task.name, sampler: .random, docs: docs, pool: pool, shots: shots, sameSplit: poolFile == file)
        let o = try ev.run(task: task, docs: docs, shots: ex)
        compareGeneration(name, task, o, harness: try harness(dir, name))
    }

    /// Per document: the prompt, the generation byte for byte, each filter's answer and exact_match;
    /// then exact_match per filter.
    func compareGeneration(_ name: String, _ task: GenerationTask, _ o: GenerationOutcome, harness h: HarnessGeneration) {
        #expect(o.records.count == h.gens.count)
        for (i, r) in o.records.enumerated() where i < h.gens.count {
            #expect(r.context == h.contexts[i], "\(name) doc \(i): prompts differ")
            #expect(r.generation.utf8.elementsEqual(h.gens[i].utf8), "\(name) doc \(i): generated \(r.generation.debugDescription), the harness \(h.gens[i].debugDescription)")
            for (f, filter) in task.filters.enumerated() {
                #expect(r.filtered[f] == h.filtered[filter.name]?[i], "\(name) doc \(i) \(filter.name): \(r.filtered[f].debugDescription) vs \(String(describing: h.filtered[filter.name]?[i]))")
                #expect(r.exactMatch[f] == h.scores[filter.name]?[i], "\(name) doc \(i) \(filter.name): exact_match \(r.exactMatch[f])")
            }
        }
        for (f, filter) in task.filters.enumerated() {
            #expect(o.metric(filter: f).value == h.em[filter.name], "\(name) \(filter.name): exact_match \(o.metric(filter: f).value), the harness \(String(describing: h.em[filter.name]))")
        }
        if name.hasSuffix("_hits") { #expect(o.metric(filter: 0).value > 0, "\(name): some targets made from the generations match after normalisation") }
        let nonEmpty = o.records.filter { !$0.generation.isEmpty }.count
        print("lm-eval cross-check \(name): \(o.records.count) generations identical, \(nonEmpty) non-empty; " +
              task.filters.indices.map { "exact_match,\(task.filters[$0].name) \(o.metric(filter: $0).value)" }.joined(separator: " "))
    }

    /// WinoGrande: the option substituted into the sentence, the shared suffix scored.
    @Test func winograndePartialScoring() throws {
        try zeroShot("winogrande", minRequests: 12)
        let (dir, ev) = try setup()
        let task = HarnessTask.named("winogrande")!
        let docs = try EvalRows.documents("\(dir)/data/winogrande.jsonl", task: task)
        let ex = try fewShotExemplars(task: task, docs: docs, pool: docs, shots: 1, seed: 1234, sameSplit: true)
        let o = try ev.run(task: task, docs: docs, shots: ex)
        _ = compare("winogrande_1shot_same", o, subtask: nil, harness: try harness(dir, "winogrande_1shot_same"))
        #expect(o.requests.allSatisfy { $0.count == 2 && $0[0].continuation == $0[1].continuation && $0[0].context != $0[1].context })
    }

    /// The harness's RegexFilter and exact_match_hf_evaluate on hand-written strings.
    @Test func filtersAndExactMatch() throws {
        let dir = try Self.work.get()
        let h: HarnessFilterProbes = try harness(dir, "filters")
        let gsm = GenerationTask.named("gsm8k")!
        for (label, f) in [("strict", 0), ("flex", 1)] {
            for (i, p) in h.probes.enumerated() {
                #expect(HarnessFilters.apply(gsm.filters[f].steps, to: p) == h.regex[label]![i], "\(label) on \(p.debugDescription)")
            }
        }
        let configs = ["nq": GenerationTask.named("nq_open")!.exactMatch, "trivia": GenerationTask.named("triviaqa")!.exactMatch, "gsm": gsm.exactMatch]
        for (label, c) in configs {
            var k = 0
            for a in h.probes {
                for b in h.probes {
                    #expect(HarnessFilters.exactMatch(a, targets: [b], c) == h.em[label]![k], "\(label): \(a.debugDescription) vs \(b.debugDescription)")
                    k += 1
                }
            }
        }
    }
}
