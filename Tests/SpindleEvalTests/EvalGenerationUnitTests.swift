// Generation tasks, WinoGrande and the suite without a model or Python: templates, prompts, the
// harness's normalisation on cases worked by hand, typed errors for malformed rows, the suite's plan.
import Foundation
import Testing
import SpindleIO
@testable import SpindleEval
import SpindleTestSupport

struct EvalGenerationUnitTests {
    @Test func nqOpenPromptsAndExactMatch() throws {
        let t = GenerationTask.named("nq_open")!
        let d = try t.render(.object([("question", .string("who wrote hamlet")), ("answer", .array([.string("William Shakespeare"), .string("Shakespeare")]))]))
        let e = try t.render(.object([("question", .string("capital of france")), ("answer", .array([.string("Paris")]))]))
        #expect(GenerationEvaluator.context(t, d, shots: []) == "Answer these questions:\n\nQ: who wrote hamlet?\nA:")
        #expect(GenerationEvaluator.context(t, d, shots: [e]) == "Answer these questions:\n\nQ: capital of france?\nA: Paris\nQ: who wrote hamlet?\nA:")
        let c = t.exactMatch
        #expect(HarnessFilters.exactMatch("the Shakespeare!", targets: d.targets, c) == 1)   // article, case, punctuation
        #expect(HarnessFilters.exactMatch("Shakespear", targets: d.targets, c) == 0)
        #expect(HarnessFilters.removeArticles("A cat and the dog; an ox, theA x") == "cat and dog; ox, theA x")
        #expect(HarnessFilters.removeArticles("Othe cat") == "Othe cat")   // no word boundary before "the "
        #expect(HarnessFilters.exactMatch("Café", targets: ["cafe\u{301}"], c) == 0)   // code points, as Python compares
    }

    @Test func gsm8kFiltersAndNormalisation() {
        let t = GenerationTask.named("gsm8k")!
        let gen = " She pays 3 * $2 = $6.\n#### 6\n\nQuestion"
        #expect(HarnessFilters.apply(t.filters[0].steps, to: gen) == "6")
        #expect(HarnessFilters.apply(t.filters[1].steps, to: "It is 1,250. Then 7") == "7")   // the last match, a one-digit number
        #expect(HarnessFilters.apply(t.filters[1].steps, to: "Total: $1,250.") == "$1,250.")
        #expect(HarnessFilters.apply(t.filters[1].steps, to: "no digits") == "[invalid]")
        #expect(HarnessFilters.exactMatch("$1,250.", targets: ["Work: 1000 + 250\n#### 1250"], t.exactMatch) == 1)
        #expect(HarnessFilters.exactMatch("$18", targets: ["#### 18"], t.exactMatch) == 1)
        #expect(HarnessFilters.normalise("18.\n", t.exactMatch) == "18\n")   // Python's $ before a final newline
    }

    @Test func stopStringsCutAtTheEarliest() throws {
        #expect(GenerationEvaluator.cut(" Paris, France. Yes", at: ["\n", ".", ","]) == " Paris")
        #expect(GenerationEvaluator.cut("no stop here", at: ["\n", "."]) == "no stop here")
        #expect(GenerationEvaluator.cut("x = 1\ndef g():", at: ["\nclass", "\ndef"]) == "x = 1")
    }

    @Test func winograndeRowsAndTypedErrors() throws {
        let t = HarnessTask.named("winogrande")!
        let d = try t.render(.object([("sentence", .string("The cup fell off the table because the _ was slippery.")),
                                      ("option1", .string("cup")), ("option2", .string("table")), ("answer", .string("2"))]))
        #expect(d.choices == ["The cup fell off the table because the cup", "The cup fell off the table because the table"])
        #expect(d.gold == 1 && d.suffix == "was slippery.")
        let reqs = harnessRequests(d, shots: [d])
        #expect(reqs[0].context == "The cup fell off the table because the table was slippery.\n\nThe cup fell off the table because the cup")
        #expect(reqs.allSatisfy { $0.continuation == " was slippery." })
        let dir = TempDir("wino")
        let path = dir.path + "/w.jsonl"
        try "{\"sentence\": \"no blank here\", \"option1\": \"a\", \"option2\": \"b\", \"answer\": \"1\"}\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect { try EvalRows.documents(path, task: t) } throws: { "\($0)".contains("w.jsonl:1") && "\($0)".contains("sentence") }
        try "{\"sentence\": \"a _ b\", \"option1\": \"a\", \"option2\": \"b\", \"answer\": 1}\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect { try EvalRows.documents(path, task: t) } throws: { "\($0)".contains("w.jsonl:1") && "\($0)".contains("answer") }
    }

    @Test func suitePlanFollowsTheFileConvention() throws {
        let dir = TempDir("suite")
        for f in ["arc_easy.jsonl", "nq_open.jsonl.gz", "nq_open_train.jsonl", "mmlu.jsonl.zst", "mmlu_dev.jsonl", "mbpp.jsonl", "other.jsonl"] {
            FileManager.default.createFile(atPath: dir.path + "/" + f, contents: Data())
        }
        let plan = Llama2Suite.plan(dir: dir.path)
        #expect(plan.map(\.name) == ["arc_easy", "nq_open", "mmlu", "mbpp"])
        #expect(plan.map(\.shots) == [0, 5, 5, 3])
        #expect(plan[1].fewshot == dir.path + "/nq_open_train.jsonl" && plan[2].fewshot == dir.path + "/mmlu_dev.jsonl")
    }

    @Test func mmluCategoriesCoverEverySubjectOnce() {
        #expect(MMLUCategories.category.count == 57)
        #expect(MMLUCategories.category["anatomy"] == "mmlu_stem" && MMLUCategories.category["philosophy"] == "mmlu_humanities")
    }
}
