// HarnessPrompts.swift: a document's requests as lm-evaluation-harness builds them: the few-shot
// context (description, exemplars "text + ' ' + answer + '\n\n'", then the text), one
// (context, " " + choice) pair per choice, encoded by `_encode_pair` (trailing whitespace of the
// context moved to the continuation; the whole string encoded and split at the context's token count)
// and left-truncated to the model's context as `_loglikelihood_tokens` does.
import SpindleIO
import SpindleTokenizer
import SpindleTrainer

/// The harness's `tok_encode`: SentencePiece ids, with BOS first when the HF tokenizer would add it
/// (lm_eval 0.4.13 calls `encode` with the tokenizer's own default: a Llama tokenizer adds BOS).
public struct HarnessEncoder: Sendable {
    public let tokenizer: SentencePieceModel
    public let addBOS: Bool
    public let maxLength: Int

    public init(tokenizer: SentencePieceModel, addBOS: Bool, maxLength: Int) {
        self.tokenizer = tokenizer; self.addBOS = addBOS; self.maxLength = maxLength
    }

    public func encode(_ s: String) -> [Int32] { tokenizer.encode(s, addBOS: addBOS) }

    /// `prefix_token_id`: BOS, or EOS when the model has none.
    public var prefixToken: Int32 { tokenizer.bosID >= 0 ? tokenizer.bosID : tokenizer.eosID }

    /// `_encode_pair` then the left truncation of `_loglikelihood_tokens` (keep the last maxLength + 1).
    public func span(context: String, continuation: String) throws -> ScoredSpan {
        var ctx = context, cont = continuation
        let stripped = PythonText.rstrip(ctx)
        let n = ctx.unicodeScalars.count - stripped.unicodeScalars.count
        if n > 0 { cont = String(ctx.unicodeScalars.suffix(n)) + cont; ctx = stripped }
        var ctxEnc: [Int32], contEnc: [Int32]
        if ctx.isEmpty {
            ctxEnc = [prefixToken]; contEnc = encode(cont)
        } else {
            let whole = encode(ctx + cont)
            ctxEnc = encode(ctx)
            contEnc = Array(whole.dropFirst(ctxEnc.count))   // the model reads ctxEnc + this tail of whole
        }
        guard !contEnc.isEmpty else { throw EvalError.emptyContinuation(continuation) }
        guard contEnc.count <= maxLength else { throw EvalError.tooLong(contEnc.count, maxLength) }
        let all = ctxEnc + contEnc
        let kept = Array(all.suffix(maxLength + 1))
        return ScoredSpan(tokens: kept, start: kept.count - contEnc.count)
    }
}

public enum EvalError: SpindleError, Sendable {
    case emptyContinuation(String)
    case tooLong(Int, Int)
    case fewShot(String)
    case usage(String)
    case noInput(String)
    case data(String)
    public var exitCode: Int32 {
        switch self {
        case .fewShot, .usage: return ExitStatus.usage
        case .noInput: return ExitStatus.noInput
        default: return ExitStatus.dataError
        }
    }
    public var description: String {
        switch self {
        case .emptyContinuation(let c): return "continuation \(c.debugDescription) encodes to no tokens"
        case .tooLong(let n, let m): return "a continuation of \(n) tokens exceeds the model's context of \(m)"
        case .fewShot(let m), .usage(let m), .noInput(let m), .data(let m): return m
        }
    }
}

/// The prompt of `doc` with `shots` exemplars before it (`fewshot_context` without a chat template).
/// For a multiple-input document (WinoGrande) this is the part its contexts share (description and
/// exemplars, each `choices[gold] + " " + suffix + "\n\n"`); `harnessRequests` appends each choice.
public func harnessContext(_ doc: ChoiceDoc, shots: [ChoiceDoc]) -> String {
    var s = doc.description
    for e in shots {
        if let suffix = e.suffix {   // build_qa_turn with q = the gold context, a = the suffix (none if empty)
            s += e.choices[e.gold] + (suffix.isEmpty ? "" : " " + suffix + "\n\n")
        } else {
            s += e.text + " " + e.choices[e.gold] + "\n\n"
        }
    }
    return s + doc.text
}

/// The (context, continuation) requests of a document: one per choice, `(context, " " + choice)`, or
/// for a multiple-input document `(context + choice, " " + suffix)`.
public func harnessRequests(_ doc: ChoiceDoc, shots: [ChoiceDoc]) -> [(context: String, continuation: String)] {
    let context = harnessContext(doc, shots: shots)
    if let suffix = doc.suffix { return doc.choices.map { (context + $0, " " + suffix) } }
    return doc.choices.map { (context, " " + $0) }
}

/// Few-shot exemplars for each document, drawn as the harness's samplers draw them, the documents
/// taken in order. `first_n` (mmlu): the first K rows of the same subtask. `default`: one
/// `random.Random(seed)` for the whole task, `rnd.sample(pool, K)` per document. When the pool is the
/// evaluated split itself (`sameSplit`), the document is left out: first_n drops it from the pool,
/// default samples K + 1 and drops it (resampling from the pool without it if that leaves fewer than K).
public func fewShotExemplars(task: HarnessTask, docs: [ChoiceDoc], pool: [ChoiceDoc], shots: Int,
                             seed: UInt64 = 1234, sameSplit: Bool = false) throws -> [[ChoiceDoc]] {
    try fewShotExemplars(name: task.name, sampler: task.sampler, docs: docs, pool: pool, shots: shots, seed: seed, sameSplit: sameSplit)
}

/// What a few-shot sampler needs of a document: the row (to leave the question out) and its subtask.
public protocol FewShotDoc {
    var row: JSONValue { get }
    var subtask: String? { get }
}

extension ChoiceDoc: FewShotDoc {}

/// The samplers over any documents (`name`: the task, the key of documents without a subtask).
public func fewShotExemplars<D: FewShotDoc>(name: String, sampler: FewShotSampler, docs: [D], pool: [D], shots: Int,
                                            seed: UInt64 = 1234, sameSplit: Bool = false) throws -> [[D]] {
    guard shots > 0 else { return docs.map { _ in [] } }
    var bySubtask: [String: [D]] = [:]
    for p in pool { bySubtask[p.subtask ?? name, default: []].append(p) }
    var rnd = PythonRandom(seed: seed)
    return try docs.map { d in
        let key = d.subtask ?? name
        let avail = bySubtask[key] ?? []
        let without = sameSplit ? avail.filter { $0.row != d.row } : avail
        guard without.count >= shots else {
            throw EvalError.fewShot("\(shots) shots asked for \(key), the few-shot data has \(without.count) rows for it")
        }
        switch sampler {
        case .firstN:
            return Array(without.prefix(shots))
        case .random:
            guard sameSplit else { return rnd.sample(populationSize: avail.count, count: shots).map { avail[$0] } }
            if avail.count >= shots + 1 {
                let picked = rnd.sample(populationSize: avail.count, count: shots + 1).map { avail[$0] }.filter { $0.row != d.row }
                if picked.count >= shots { return Array(picked.prefix(shots)) }
            } else {
                throw EvalError.fewShot("\(shots) shots from the evaluated split need \(shots + 1) rows, it has \(avail.count)")
            }
            return rnd.sample(populationSize: without.count, count: shots).map { without[$0] }
        }
    }
}
