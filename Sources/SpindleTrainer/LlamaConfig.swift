// LlamaConfig.swift: the model shape, read from and written to Hugging Face `config.json`
// (LlamaForCausalLM fields; transformers 4.x `rope_theta` / `rope_scaling` and 5.x `rope_parameters`).
import Foundation
import SpindleIO

/// Shape and constants of a Llama model.
public struct LlamaConfig: Equatable, Sendable {
    public var dim: Int
    public var nLayers: Int
    public var nHeads: Int
    public var nKVHeads: Int
    public var hiddenDim: Int
    public var vocabSize: Int
    public var maxSeqLen: Int
    public var normEps: Float = 1e-5
    public var ropeTheta: Float = 10000
    /// Rotary frequency scaling (RoPEScaling.swift); nil: the default rotary. With dynamic scaling,
    /// `maxSeqLen` is the stretched context (factor × the trained length config.json names).
    public var ropeScaling: RoPEScaling?
    public var tieEmbeddings: Bool = false
    /// Reward-model head: `score.weight` [1, dim] instead of `lm_head` (LlamaForSequenceClassification).
    public var scoreHead: Bool = false
    /// Where the score head's reward is read (`spindle_score_pooling` in config.json when not `last`).
    public var scorePooling: ScorePooling = .last
    public var bosId: Int = 1
    public var eosId: Int = 2

    public init(dim: Int, nLayers: Int, nHeads: Int, nKVHeads: Int? = nil, hiddenDim: Int, vocabSize: Int,
                maxSeqLen: Int, normEps: Float = 1e-5, ropeTheta: Float = 10000, tieEmbeddings: Bool = false) {
        self.dim = dim; self.nLayers = nLayers; self.nHeads = nHeads; self.nKVHeads = nKVHeads ?? nHeads
        self.hiddenDim = hiddenDim; self.vocabSize = vocabSize; self.maxSeqLen = maxSeqLen
        self.normEps = normEps; self.ropeTheta = ropeTheta; self.tieEmbeddings = tieEmbeddings
    }

    public var headDim: Int { dim / nHeads }
    public var kvDim: Int { nKVHeads * headDim }

    /// Checks the shape constraints; throws a message naming the field.
    public func validate() throws {
        func bad(_ f: String, _ why: String) -> TrainerError { .config(field: f, message: why) }
        for (f, v) in [("dim", dim), ("n_layers", nLayers), ("n_heads", nHeads), ("n_kv_heads", nKVHeads),
                       ("hidden_dim", hiddenDim), ("vocab_size", vocabSize), ("max_seq_len", maxSeqLen)] where v <= 0 {
            throw bad(f, "must be positive, got \(v)")
        }
        // Beyond any Llama (70B: dim 8192, hidden 28672, 80 layers, 128K vocab): a forged config must not
        // overflow the parameter count or the tables sized from it.
        for (f, v, limit) in [("dim", dim, 1 << 16), ("hidden_dim", hiddenDim, 1 << 18), ("n_layers", nLayers, 1 << 10),
                              ("n_heads", nHeads, 1 << 10), ("vocab_size", vocabSize, 1 << 21), ("max_seq_len", maxSeqLen, 1 << 20)]
            where v > limit {
            throw bad(f, "\(v) is larger than any model this trainer runs (at most \(limit))")
        }
        if dim % nHeads != 0 { throw bad("n_heads", "dim \(dim) is not a multiple of n_heads \(nHeads)") }
        if nHeads % nKVHeads != 0 { throw bad("n_kv_heads", "n_heads \(nHeads) is not a multiple of n_kv_heads \(nKVHeads)") }
        if headDim % 2 != 0 { throw bad("n_heads", "head_dim \(headDim) must be even for rotary embeddings") }
        if !(normEps > 0) || !normEps.isFinite { throw bad("norm_eps", "must be a positive finite number") }
        if !(ropeTheta > 0) || !ropeTheta.isFinite { throw bad("rope_theta", "must be a positive finite number, got \(ropeTheta)") }
        try ropeScaling?.validate()
    }

    /// Number of parameters (tied head counted once).
    public var parameterCount: Int { ParameterLayout(self).totalCount }

    // MARK: Hugging Face config.json

    /// Reads a transformers `config.json` (LlamaForCausalLM / LlamaForSequenceClassification).
    public init(huggingFace json: JSONValue, path: String = "config.json") throws {
        let f = try JSONFields(json, file: path, errors: .config)
        func int(_ k: String) throws -> Int {
            guard let v = try f.int(k) else { throw TrainerError.config(field: k, message: "missing or not a number in \(path)") }
            return v
        }
        let heads = try int("num_attention_heads")
        let dim = try int("hidden_size")
        self.init(dim: dim, nLayers: try int("num_hidden_layers"), nHeads: heads,
                  nKVHeads: try f.int("num_key_value_heads") ?? heads,
                  hiddenDim: try int("intermediate_size"), vocabSize: try int("vocab_size"),
                  maxSeqLen: try f.int("max_position_embeddings") ?? 2048)
        if let e = try f.float("rms_norm_eps") { normEps = e }
        if let t = try f.float("rope_theta") { ropeTheta = t }
        // transformers 5.x prefers a non-null `rope_scaling` (4.x's key) over `rope_parameters`.
        let scalingKey = f["rope_scaling"].map { !$0.isNull } == true ? "rope_scaling" : "rope_parameters"
        if let v = f[scalingKey], !v.isNull {
            let rp = try f.section(scalingKey)
            if let t = try rp.float("rope_theta") { ropeTheta = t }
            ropeScaling = try RoPEScaling(huggingFace: rp, maxPositions: maxSeqLen)
            if let s = ropeScaling { maxSeqLen = s.context(maxPositions: maxSeqLen) }
        }
        tieEmbeddings = try f.bool("tie_word_embeddings") ?? false
        if let hd = try f.int("head_dim"), heads > 0, hd != dim / heads {   // heads <= 0: validate() names it
            throw TrainerError.config(field: "head_dim", message: "head_dim \(hd) != hidden_size/num_attention_heads is not supported (\(path))")
        }
        if let b = f["bos_token_id"]?.intValue { bosId = b }
        if let e = f["eos_token_id"]?.intValue { eosId = e }
        if let arch = f["architectures"]?.arrayValue?.first?.stringValue, arch == "LlamaForSequenceClassification" {
            scoreHead = true
        }
        if let p = try f.string("spindle_score_pooling") {
            guard let v = ScorePooling(rawValue: p) else {
                throw TrainerError.config(field: "spindle_score_pooling", message: "\"\(p)\": expected \(ScorePooling.allCases.map(\.rawValue).joined(separator: " or ")) (\(path))")
            }
            scorePooling = v
        }
        try validate()
    }

    /// The `config.json` transformers writes for this model (both rope_theta forms, fp32).
    public var huggingFaceValue: JSONValue {
        let arch = scoreHead ? "LlamaForSequenceClassification" : "LlamaForCausalLM"
        let fields: [(String, JSONValue)] = [
            ("architectures", .array([.string(arch)])), ("attention_bias", .bool(false)), ("attention_dropout", .number("0.0")),
            ("bos_token_id", .int(bosId)), ("eos_token_id", .int(eosId)), ("head_dim", .int(headDim)),
            ("hidden_act", .string("silu")), ("hidden_size", .int(dim)), ("initializer_range", .number("0.02")),
            ("intermediate_size", .int(hiddenDim)),
            ("max_position_embeddings", .int(ropeScaling?.maxPositions(context: maxSeqLen) ?? maxSeqLen)),
            ("mlp_bias", .bool(false)), ("model_type", .string("llama")), ("num_attention_heads", .int(nHeads)),
            ("num_hidden_layers", .int(nLayers)), ("num_key_value_heads", .int(nKVHeads)),
            ("pretraining_tp", .int(1)), ("rms_norm_eps", .float(normEps)),
            ("rope_parameters", .object(ropeScaling?.huggingFaceMembers(theta: ropeTheta)
                                        ?? [("rope_theta", .float(ropeTheta)), ("rope_type", .string("default"))])),
            ("rope_scaling", ropeScaling.map { .object($0.huggingFaceMembers(theta: nil)) } ?? .null), ("rope_theta", .float(ropeTheta)),
            ("tie_word_embeddings", .bool(tieEmbeddings)), ("torch_dtype", .string("float32")),
            ("dtype", .string("float32")), ("use_cache", .bool(true)), ("vocab_size", .int(vocabSize)),
        ]
        let pooling: [(String, JSONValue)] = scoreHead && scorePooling != .last ? [("spindle_score_pooling", .string(scorePooling.rawValue))] : []
        return .object(fields + (scoreHead ? [("num_labels", .int(1)), ("pad_token_id", .int(0))] : []) + pooling)
    }

    /// `huggingFaceValue` as the file text: one field per line, as transformers' `save_pretrained` lays it out.
    public func huggingFaceJSON() -> String { huggingFaceValue.fileText(.memberPerLine) }
}

/// Shortest decimal that reads back as the same Float, JSON-safe.
func jsonNumber(_ x: Float) -> String {
    if x == x.rounded(), abs(x) < 1e15 { return String(format: "%.1f", Double(x)) }
    return "\(x)"
}

/// Errors of the trainer, with the file and field they concern.
public enum TrainerError: Error, CustomStringConvertible {
    case config(field: String, message: String)
    case format(file: String, message: String)
    case data(file: String, line: Int?, message: String)
    case io(file: String, message: String)
    /// Training produced a non-finite loss or gradient: the run stops, keeping the last good checkpoint.
    case diverged(step: Int, message: String)

    public var description: String {
        switch self {
        case let .config(f, m): return "config field \(f): \(m)"
        case let .format(file, m): return "\(file): \(m)"
        case let .data(file, line, m): return line.map { "\(file):\($0): \(m)" } ?? "\(file): \(m)"
        case let .io(file, m): return m.hasPrefix(file) ? m : "\(file): \(m)"   // SpindleIO errors name the file already
        case let .diverged(step, m): return "training diverged at step \(step): \(m); the last checkpoint saved before it is kept (lower training.lr, or set training.grad_clip)"
        }
    }
}
