// GenerationEvaluation.swift: a `generate_until` task end to end as lm-evaluation-harness's HF backend
// runs it: the few-shot prompt (description + Σ text + " " + answer + fewshot_delimiter + text), encoded
// with BOS (the tokenizer's call in `tok_batch_encode`) and left-truncated to max_length − max_gen_toks,
// greedy decoding of at most max_gen_toks tokens (stopping at EOS), the decoded text cut at the first
// stop string (`until` + the EOS piece), then each filter pipeline and exact_match.
import Foundation
import SpindleIO
import SpindleTokenizer
import SpindleTrainer

/// One document's generation and its scores.
public struct GenerationRecord: Sendable {
    public var context: String
    public var generation: String       // decoded, cut at the first stop string (the first sample)
    public var filtered: [String]       // per filter pipeline
    public var exactMatch: [Double]     // per filter pipeline (exact-match tasks)
    public var promptTokens: Int        // after left truncation
    public var newTokens: Int           // tokens decoded (the cut text may use fewer)
    public var samples: [String] = []             // code tasks: every sample's response
    public var executions: [SandboxOutcome] = []  // code tasks: each candidate's run
}

public struct GenerationOutcome: Sendable {
    public var task: GenerationTask
    public var shots: Int
    public var maxGenToks: Int
    public var docs: [GenDoc]
    public var records: [GenerationRecord]
    public var sampling = CodeSampling()
    public var passK: [Int] { sampling.passK }

    /// exact_match of filter pipeline `f` over the documents.
    public func metric(filter f: Int) -> MetricValue { MetricValue(records.map { $0.exactMatch[f] }) }

    /// pass@k over the documents (each document's unbiased estimate from its samples).
    public func passAt(_ k: Int) -> MetricValue {
        MetricValue(records.map { r in passAtK(n: r.executions.count, c: r.executions.filter(\.passed).count, k: k) })
    }

    /// The harness's metric keys and values: `exact_match,<filter>` per filter, or for code tasks
    /// `pass@k,create_test` (HumanEval) / `pass_at_k,none` (MBPP) per k.
    public var metrics: [(key: String, value: MetricValue)] {
        switch task.scoring {
        case .exactMatch:
            return task.filters.indices.map { (key: "exact_match,\(task.filters[$0].name)", value: metric(filter: $0)) }
        case .execution(let name):
            return passK.map { k in (key: name.replacingOccurrences(of: "1", with: "\(k)") + "," + task.filters[0].name, value: passAt(k)) }
        }
    }
}

/// Sampling for code tasks' pass@k: n responses per problem at a temperature.
public struct CodeSampling: Sendable {
    public var samples = 1           // n; 1 with temperature 0 is greedy pass@1
    public var temperature: Float = 0
    public var seed: UInt64 = 0
    public var passK = [1]
    public init() {}
}

public final class GenerationEvaluator {
    public let encoder: HarnessEncoder
    public let maxGenToks: Int
    let generator: Generator
    let eos: Int32?
    let eosPiece: String?

    /// `maxGenToks`: the harness's max_gen_toks (its HF backend's default is 256); it must leave room
    /// for a prompt in the model's context.
    public init(model: LlamaModel, tokenizer: SentencePieceModel, addBOS: Bool = true, maxGenToks: Int = 256) throws {
        guard model.layout.head >= 0 else {
            throw TrainerError.config(field: "architectures", message: "a reward model (score head) cannot generate")
        }
        guard maxGenToks >= 1 && maxGenToks < model.config.maxSeqLen else {
            throw EvalError.usage("max_gen_toks \(maxGenToks) must be at least 1 and less than the model's context of \(model.config.maxSeqLen)")
        }
        encoder = HarnessEncoder(tokenizer: tokenizer, addBOS: addBOS, maxLength: model.config.maxSeqLen)
        self.maxGenToks = maxGenToks
        generator = Generator(model: model, batch: 1)
        eos = tokenizer.eosID >= 0 ? tokenizer.eosID : nil
        eosPiece = eos.flatMap { tokenizer.piece($0) }
    }

    /// The prompt of `doc` after `shots` exemplars.
    public static func context(_ task: GenerationTask, _ doc: GenDoc, shots: [GenDoc]) -> String {
        var s = task.description
        for e in shots { s += e.text + (e.exemplarAnswer.isEmpty ? "" : task.targetDelimiter + e.exemplarAnswer + task.fewshotDelimiter) }
        return s + doc.text
    }

    /// Greedy continuation of `context`, cut at the first of `until`. Decodes in chunks (each at least
    /// as long as the prompt it re-reads, so at most ~2x the work of one pass) and stops early once a
    /// stop string has appeared: greedy decoding makes the kept text identical to one full pass.
    public func complete(_ context: String, until: [String], temperature: Float = 0, seed: UInt64 = 0) throws -> (text: String, promptTokens: Int, newTokens: Int) {
        let prompt = Array(encoder.encode(context).suffix(encoder.maxLength - maxGenToks))
        guard !prompt.isEmpty else { throw EvalError.data("the prompt encodes to no tokens") }
        let stops = (until + (eosPiece.map { [$0] } ?? [])).filter { !$0.isEmpty }
        var out: [Int32] = []
        var text = ""
        var chunk: UInt64 = 0
        while out.count < maxGenToks {
            var o = SamplingOptions()
            o.temperature = temperature; o.topP = 1; o.stopToken = eos
            o.seed = seed &+ chunk &* 0x9E37_79B9_7F4A_7C15; chunk += 1   // a fresh stream per chunk when sampling
            o.maxNewTokens = min(maxGenToks - out.count, max(16, prompt.count + out.count))
            let g = generator.generate(prompts: [prompt + out], options: o)[0]
            out += g.tokens
            text = try decode(out)
            if g.stopped || g.tokens.count < o.maxNewTokens || stops.contains(where: { Self.find($0, in: text) != nil }) { break }
        }
        return (Self.cut(text, at: stops), prompt.count, out.count)
    }

    func decode(_ ids: [Int32]) throws -> String {
        do { return try encoder.tokenizer.decode(ids) } catch { throw EvalError.data("decoding the generation: \(error)") }
    }

    /// `postprocess_generated_text`: `s = s.split(term)[0]` for each term, i.e. cut at the earliest.
    static func cut(_ s: String, at stops: [String]) -> String {
        var bytes = Array(s.utf8)
        for t in stops { if let i = find(t, in: String(decoding: bytes, as: UTF8.self)) { bytes = Array(bytes[..<i]) } }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The UTF-8 offset of the first occurrence of `needle` (code points, as Python's str.find).
    static func find(_ needle: String, in s: String) -> Int? {
        let h = Array(s.utf8), n = Array(needle.utf8)
        guard !n.isEmpty, n.count <= h.count else { return nil }
        for i in 0...(h.count - n.count) where h[i] == n[0] && Array(h[i..<(i + n.count)]) == n { return i }
        return nil
    }

    /// Generates and scores `docs` with `shots[i]` exemplars before document i.
    /// Code tasks run every candidate in `sandbox` (required for them) with `sampling`'s n samples.
    public func run(task: GenerationTask, docs: [GenDoc], shots: [[GenDoc]], file: String = "input",
                    sandbox: CodeSandbox? = nil, sampling: CodeSampling = CodeSampling(),
                    progress: ((Int) -> Void)? = nil) throws -> GenerationOutcome {
        precondition(shots.count == docs.count)
        var records: [GenerationRecord] = []
        for (i, doc) in docs.enumerated() {
            let context = Self.context(task, doc, shots: shots[i])
            let n = { if case .execution = task.scoring { return sampling.samples } else { return 1 } }()
            var gens: [(text: String, promptTokens: Int, newTokens: Int)] = []
            do {
                for j in 0..<n {
                    let seed = sampling.seed &+ UInt64(i) &* 1_000_003 &+ UInt64(j) &* 7_919
                    gens.append(try complete(context, until: task.until, temperature: sampling.temperature, seed: seed))
                }
            } catch let e as EvalError {
                throw InputError(.invalidValue, file: file, line: doc.line, field: "question", e.description)
            }
            let g = gens[0]
            let filtered = task.filters.map { HarnessFilters.apply($0.steps, to: g.text) }
            var r = GenerationRecord(context: context, generation: g.text, filtered: filtered, exactMatch: [],
                                     promptTokens: g.promptTokens, newTokens: gens.map(\.newTokens).reduce(0, +))
            switch task.scoring {
            case .exactMatch(let c):
                r.exactMatch = filtered.map { HarnessFilters.exactMatch($0, targets: doc.targets, c) }
            case .execution:
                guard let sandbox else { throw EvalError.usage("\(task.name) runs generated code: it needs a sandbox") }
                r.samples = gens.map(\.text)
                r.executions = try gens.map { try sandbox.run(doc.codePrefix + $0.text + "\n" + (doc.tests ?? "")) }
            }
            records.append(r)
            progress?(i + 1)
        }
        var used = sampling
        if case .exactMatch = task.scoring { used = CodeSampling() }
        return GenerationOutcome(task: task, shots: shots.first?.count ?? 0, maxGenToks: maxGenToks, docs: docs, records: records, sampling: used)
    }
}
