// LlamaConfig.swift: the model shape, read from and written to Hugging Face `config.json`
// (LlamaForCausalLM fields; transformers 4.x `rope_theta` and 5.x `rope_parameters.rope_theta`).
import Foundation

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
    public var tieEmbeddings: Bool = false
    /// Reward-model head: `score.weight` [1, dim] instead of `lm_head` (LlamaForSequenceClassification).
    public var scoreHead: Bool = false
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
        if dim % nHeads != 0 { throw bad("n_heads", "dim \(dim) is not a multiple of n_heads \(nHeads)") }
        if nHeads % nKVHeads != 0 { throw bad("n_kv_heads", "n_heads \(nHeads) is not a multiple of n_kv_heads \(nKVHeads)") }
        if headDim % 2 != 0 { throw bad("n_heads", "head_dim \(headDim) must be even for rotary embeddings") }
        if !(normEps > 0) { throw bad("norm_eps", "must be positive") }
    }

    /// Number of parameters (tied head counted once).
    public var parameterCount: Int { ParameterLayout(self).totalCount }

    // MARK: Hugging Face config.json

    /// Reads a transformers `config.json` (LlamaForCausalLM / LlamaForSequenceClassification).
    public init(huggingFace json: [String: Any], path: String = "config.json") throws {
        func int(_ k: String) throws -> Int {
            guard let v = json[k] as? NSNumber else { throw TrainerError.config(field: k, message: "missing or not a number in \(path)") }
            return v.intValue
        }
        let heads = try int("num_attention_heads")
        let dim = try int("hidden_size")
        self.init(dim: dim, nLayers: try int("num_hidden_layers"), nHeads: heads,
                  nKVHeads: (json["num_key_value_heads"] as? NSNumber)?.intValue ?? heads,
                  hiddenDim: try int("intermediate_size"), vocabSize: try int("vocab_size"),
                  maxSeqLen: (json["max_position_embeddings"] as? NSNumber)?.intValue ?? 2048)
        if let e = json["rms_norm_eps"] as? NSNumber { normEps = e.floatValue }
        if let t = json["rope_theta"] as? NSNumber { ropeTheta = t.floatValue }
        if let rp = json["rope_parameters"] as? [String: Any] {
            if let t = rp["rope_theta"] as? NSNumber { ropeTheta = t.floatValue }
            if let type = rp["rope_type"] as? String, type != "default" {
                throw TrainerError.config(field: "rope_parameters.rope_type", message: "\(type) scaling is not supported (\(path))")
            }
        }
        if let s = json["rope_scaling"], !(s is NSNull) {
            throw TrainerError.config(field: "rope_scaling", message: "rope scaling is not supported (\(path))")
        }
        tieEmbeddings = (json["tie_word_embeddings"] as? Bool) ?? false
        if let hd = json["head_dim"] as? NSNumber, hd.intValue != dim / heads {
            throw TrainerError.config(field: "head_dim", message: "head_dim \(hd) != hidden_size/num_attention_heads is not supported (\(path))")
        }
        if let b = json["bos_token_id"] as? NSNumber { bosId = b.intValue }
        if let e = json["eos_token_id"] as? NSNumber { eosId = e.intValue }
        if let arch = (json["architectures"] as? [String])?.first, arch == "LlamaForSequenceClassification" {
            scoreHead = true
        }
        try validate()
    }

    /// The `config.json` transformers writes for this model (both rope_theta forms, fp32).
    public func huggingFaceJSON() -> String {
        let arch = scoreHead ? "LlamaForSequenceClassification" : "LlamaForCausalLM"
        var s = "{\n"
        let fields: [(String, String)] = [
            ("architectures", "[\"\(arch)\"]"), ("attention_bias", "false"), ("attention_dropout", "0.0"),
            ("bos_token_id", "\(bosId)"), ("eos_token_id", "\(eosId)"), ("head_dim", "\(headDim)"),
            ("hidden_act", "\"silu\""), ("hidden_size", "\(dim)"), ("initializer_range", "0.02"),
            ("intermediate_size", "\(hiddenDim)"), ("max_position_embeddings", "\(maxSeqLen)"),
            ("mlp_bias", "false"), ("model_type", "\"llama\""), ("num_attention_heads", "\(nHeads)"),
            ("num_hidden_layers", "\(nLayers)"), ("num_key_value_heads", "\(nKVHeads)"),
            ("pretraining_tp", "1"), ("rms_norm_eps", jsonNumber(normEps)),
            ("rope_parameters", "{\"rope_theta\": \(jsonNumber(ropeTheta)), \"rope_type\": \"default\"}"),
            ("rope_scaling", "null"), ("rope_theta", jsonNumber(ropeTheta)),
            ("tie_word_embeddings", tieEmbeddings ? "true" : "false"), ("torch_dtype", "\"float32\""),
            ("dtype", "\"float32\""), ("use_cache", "true"), ("vocab_size", "\(vocabSize)"),
        ] + (scoreHead ? [("num_labels", "1"), ("pad_token_id", "0")] : [])
        for (i, (k, v)) in fields.enumerated() {
            s += "  \"\(k)\": \(v)" + (i == fields.count - 1 ? "\n" : ",\n")
        }
        return s + "}\n"
    }
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

    public var description: String {
        switch self {
        case let .config(f, m): return "config field \(f): \(m)"
        case let .format(file, m): return "\(file): \(m)"
        case let .data(file, line, m): return line.map { "\(file):\($0): \(m)" } ?? "\(file): \(m)"
        case let .io(file, m): return m.hasPrefix(file) ? m : "\(file): \(m)"   // SpindleIO errors name the file already
        }
    }
}
