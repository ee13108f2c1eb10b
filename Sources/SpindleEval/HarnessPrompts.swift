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
    public var exitCode: Int32 {
        if case .fewShot = self { return ExitStatus.usage }
        return ExitStatus.dataError
    }
    public var description: String {
        switch self {
        case .emptyContinuation(let c): return "continuation \(c.debugDescription) encodes to no tokens"
        case .tooLong(let n, let m): return "a continuation of \(n) tokens exceeds the model's context of \(m)"
        case .fewShot(let m): return m
        }
    }
}

/// The prompt of `doc` with `shots` exemplars before it (`fewshot_context` without a chat template).
public func harnessContext(_ doc: ChoiceDoc, shots: [ChoiceDoc]) -> String {
    var s = doc.description
    for e in shots { s += e.text + " " + e.choices[e.gold] + "\n\n" }
    return s + doc.text
}

/// Few-shot exemplars for each document, drawn as the harness's samplers draw them, the documents
/// taken in order. `first_n` (mmlu): the first K rows of the same subtask. `default`: one
/// `random.Random(seed)` for the whole task, `rnd.sample(pool, K)` per document. When the pool is the
/// evaluated split itself (`sameSplit`), the document is left out: first_n drops it from the pool,
/// default samples K + 1 and drops it (resampling from the pool without it if that leaves fewer than K).
public func fewShotExemplars(task: HarnessTask, docs: [ChoiceDoc], pool: [ChoiceDoc], shots: Int,
                             seed: UInt64 = 1234, sameSplit: Bool = false) throws -> [[ChoiceDoc]] {
    guard shots > 0 else { return docs.map { _ in [] } }
    var bySubtask: [String: [ChoiceDoc]] = [:]
    for p in pool { bySubtask[p.subtask ?? task.name, default: []].append(p) }
    var rnd = PythonRandom(seed: seed)
    return try docs.map { d in
        let key = d.subtask ?? task.name
        let avail = bySubtask[key] ?? []
        let without = sameSplit ? avail.filter { $0.row != d.row } : avail
        guard without.count >= shots else {
            throw EvalError.fewShot("\(shots) shots asked for \(key), the few-shot data has \(without.count) rows for it")
        }
        switch task.sampler {
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
