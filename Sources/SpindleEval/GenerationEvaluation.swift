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
    public var generation: String       // decoded, cut at the first stop string
    public var filtered: [String]       // per filter pipeline
    public var exactMatch: [Double]     // per filter pipeline
    public var promptTokens: Int        // after left truncation
    public var newTokens: Int           // tokens decoded (the cut text may use fewer)
}

public struct GenerationOutcome: Sendable {
    public var task: GenerationTask
    public var shots: Int
    public var maxGenToks: Int
    public var docs: [GenDoc]
    public var records: [GenerationRecord]

    /// exact_match of filter pipeline `f` over the documents.
    public func metric(filter f: Int) -> MetricValue { MetricValue(records.map { $0.exactMatch[f] }) }
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
    public func complete(_ context: String, until: [String]) throws -> (text: String, promptTokens: Int, newTokens: Int) {
        let prompt = Array(encoder.encode(context).suffix(encoder.maxLength - maxGenToks))
        guard !prompt.isEmpty else { throw EvalError.data("the prompt encodes to no tokens") }
        let stops = (until + (eosPiece.map { [$0] } ?? [])).filter { !$0.isEmpty }
        var out: [Int32] = []
        var text = ""
        while out.count < maxGenToks {
            var o = SamplingOptions()
            o.temperature = 0; o.topP = 1; o.stopToken = eos
            o.maxNewTokens = min(maxGenToks - out.count, max(16, prompt.count + out.count))
            let g = generator.generate(prompts: [prompt + out], options: o)[0]
            out += g.tokens
            text = try decode(out)
            if g.stopped || g.tokens.count < o.maxNewTokens || stops.contains(where: { find($0, in: text) != nil }) { break }
        }
        return (cut(text, at: stops), prompt.count, out.count)
    }

    func decode(_ ids: [Int32]) throws -> String {
        do { return try encoder.tokenizer.decode(ids) } catch { throw EvalError.data("decoding the generation: \(error)") }
    }

    /// `postprocess_generated_text`: `s = s.split(term)[0]` for each term, i.e. cut at the earliest.
    func cut(_ s: String, at stops: [String]) -> String {
        var bytes = Array(s.utf8)
        for t in stops { if let i = find(t, in: String(decoding: bytes, as: UTF8.self)) { bytes = Array(bytes[..<i]) } }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The UTF-8 offset of the first occurrence of `needle` (code points, as Python's str.find).
    func find(_ needle: String, in s: String) -> Int? {
        let h = Array(s.utf8), n = Array(needle.utf8)
        guard !n.isEmpty, n.count <= h.count else { return nil }
        for i in 0...(h.count - n.count) where h[i] == n[0] && Array(h[i..<(i + n.count)]) == n { return i }
        return nil
    }

    /// Generates and scores `docs` with `shots[i]` exemplars before document i.
    public func run(task: GenerationTask, docs: [GenDoc], shots: [[GenDoc]], file: String = "input",
                    progress: ((Int) -> Void)? = nil) throws -> GenerationOutcome {
        precondition(shots.count == docs.count)
        var records: [GenerationRecord] = []
        for (i, doc) in docs.enumerated() {
            let context = Self.context(task, doc, shots: shots[i])
            let g: (text: String, promptTokens: Int, newTokens: Int)
            do { g = try complete(context, until: task.until) } catch let e as EvalError {
                throw InputError(.invalidValue, file: file, line: doc.line, field: "question", e.description)
            }
            let filtered = task.filters.map { HarnessFilters.apply($0.steps, to: g.text) }
            records.append(GenerationRecord(context: context, generation: g.text, filtered: filtered,
                                            exactMatch: filtered.map { HarnessFilters.exactMatch($0, targets: doc.targets, task.exactMatch) },
                                            promptTokens: g.promptTokens, newTokens: g.newTokens))
            progress?(i + 1)
        }
        return GenerationOutcome(task: task, shots: shots.first?.count ?? 0, maxGenToks: maxGenToks, docs: docs, records: records)
    }
}
