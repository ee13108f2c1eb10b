// CodeTasks.swift: HumanEval and MBPP as lm-evaluation-harness 0.4.13 defines them (tasks/humaneval,
// tasks/mbpp): the prompt, the stop strings, the candidate program, and the tests it must pass.
import SpindleIO

extension GenerationTask {
    /// `{{prompt}}`, 0-shot, until "\nclass" "\ndef" "\n#" "\nif" "\nprint", max_gen_toks 1024; the
    /// `create_test` filter makes the candidate `prompt + response`, run with
    /// `{{test}}\ncheck({{entry_point}})` after it; pass@1.
    static let humaneval = GenerationTask(
        name: "humaneval", version: 1.0, until: ["\nclass", "\ndef", "\n#", "\nif", "\nprint"],
        filters: [("create_test", [])], scoring: .execution(metric: "pass@1"), maxGenToks: 1024,
        datasetPath: "openai/openai_humaneval", datasetName: nil,
        docToText: "{{prompt}}", docToTarget: "{{test}}\ncheck({{entry_point}})") { (d: JSONValue) throws(DocError) in
        let prompt = try string(d, "prompt")
        let tests = "\(try string(d, "test"))\ncheck(\(try string(d, "entry_point")))"
        return GenDoc(text: prompt, targets: [tests], tests: tests, codePrefix: prompt)
    }

    /// The instruction with the first three tests, then "[BEGIN]\n"; target_delimiter ""; 3-shot from
    /// the task's own exemplars (`first_n`), each answered `code + "\n[DONE]"`; until "[DONE]"; the
    /// response itself is the candidate, run with the three tests after it; pass_at_1.
    static let mbpp = GenerationTask(
        name: "mbpp", version: 1.0, targetDelimiter: "", until: ["[DONE]"],
        filters: [("none", [])], scoring: .execution(metric: "pass_at_1"), defaultShots: 3, sampler: .firstN,
        fixedExemplars: mbppExemplars, datasetPath: "google-research-datasets/mbpp", datasetName: "full",
        docToText: "You are an expert Python programmer, and here is your task: {{text}} Your code should pass these tests:\n\n{{test_list[0]}}\n{{test_list[1]}}\n{{test_list[2]}}\n[BEGIN]\n",
        docToTarget: "{% if is_fewshot is defined %}{{code}}\n[DONE]{% else %}{{test_list[0]}}\n{{test_list[1]}}\n{{test_list[2]}}{% endif %}") { (d: JSONValue) throws(DocError) in
        let t = try strings(d, "test_list")
        guard t.count >= 3 else { throw DocError(field: "test_list", reason: "\(t.count) tests, the template shows 3") }
        let text = "You are an expert Python programmer, and here is your task: \(try string(d, "text")) Your code should pass these tests:\n\n\(t[0])\n\(t[1])\n\(t[2])\n[BEGIN]\n"
        let tests = t[0..<3].joined(separator: "\n")
        let code = d["code"]?.stringValue ?? ""
        return GenDoc(text: text, targets: [tests], exemplarAnswer: code + "\n[DONE]", tests: tests)
    }

    /// utils.list_fewshot_samples (task_id 2, 3, 4 of MBPP's prompt split).
    static let mbppExemplars: [JSONValue] = [
        exemplar("Write a function to find the similar elements from the given two tuple lists.",
                 "def similar_elements(test_tup1, test_tup2):\r\n  res = tuple(set(test_tup1) & set(test_tup2))\r\n  return (res) ",
                 ["assert similar_elements((3, 4, 5, 6),(5, 7, 4, 10)) == (4, 5)", "assert similar_elements((1, 2, 3, 4),(5, 4, 3, 7)) == (3, 4)",
                  "assert similar_elements((11, 12, 14, 13),(17, 15, 14, 13)) == (13, 14)"]),
        exemplar("Write a python function to identify non-prime numbers.",
                 "import math\r\ndef is_not_prime(n):\r\n    result = False\r\n    for i in range(2,int(math.sqrt(n)) + 1):\r\n        if n % i == 0:\r\n            result = True\r\n    return result",
                 ["assert is_not_prime(2) == False", "assert is_not_prime(10) == True", "assert is_not_prime(35) == True"]),
        exemplar("Write a function to find the largest integers from a given list of numbers using heap queue algorithm.",
                 "import heapq as hq\r\ndef heap_queue_largest(nums,n):\r\n  largest_nums = hq.nlargest(n, nums)\r\n  return largest_nums",
                 ["assert heap_queue_largest( [25, 35, 22, 85, 14, 65, 75, 22, 58],3)==[85, 75, 65] ",
                  "assert heap_queue_largest( [25, 35, 22, 85, 14, 65, 75, 22, 58],2)==[85, 75] ",
                  "assert heap_queue_largest( [25, 35, 22, 85, 14, 65, 75, 22, 58],5)==[85, 75, 65, 58, 35]"]),
    ]

    static func exemplar(_ text: String, _ code: String, _ tests: [String]) -> JSONValue {
        .object([("text", .string(text)), ("code", .string(code)), ("test_list", .array(tests.map { .string($0) }))])
    }
}

/// pass@k's unbiased estimator (Chen et al. 2021, as HF `code_eval` computes it): with n samples of
/// which c pass, 1 − C(n−c, k) / C(n, k) = 1 − Π_{i=n−c+1}^{n} (1 − k / i); 1 when n − c < k.
public func passAtK(n: Int, c: Int, k: Int) -> Double {
    precondition(n >= 1 && c >= 0 && c <= n && k >= 1 && k <= n)
    if n - c < k { return 1 }
    if c == 0 { return 0 }
    var prod = 1.0
    for i in (n - c + 1)...n { prod *= 1 - Double(k) / Double(i) }
    return 1 - prod
}
