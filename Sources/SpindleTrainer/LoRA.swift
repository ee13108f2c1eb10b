// LoRA.swift: low-rank adapters (Hu et al. 2021) as PEFT defines them — which projections carry one,
// rank r, alpha, dropout — and PEFT's adapter_config.json, read and written.
//
//   y = W x + s · B A dropout(x),   A [r, in] (Kaiming-uniform, bound 1/√in), B [out, r] (zero), s = alpha / r
// (alpha / √r with use_rslora). The base W is frozen; only A and B train.
import Foundation
import SpindleIO

/// A projection that can carry an adapter, in the order Spindle stores them per layer.
public enum LoRATarget: Int, CaseIterable, Sendable, Comparable {
    case q, k, v, o, gate, up, down

    /// The short name `--lora-targets` takes.
    public var short: String { ["q", "k", "v", "o", "gate", "up", "down"][rawValue] }
    /// The module name PEFT's target_modules and tensor names use.
    public var hfName: String { ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"][rawValue] }
    /// The module path inside a decoder layer.
    var modulePath: String { (rawValue < 4 ? "self_attn." : "mlp.") + hfName }

    public init?(name: String) {
        guard let t = LoRATarget.allCases.first(where: { $0.short == name || $0.hfName == name }) else { return nil }
        self = t
    }

    public static func < (a: LoRATarget, b: LoRATarget) -> Bool { a.rawValue < b.rawValue }

    /// (in, out) of this projection for a model shape.
    func shape(_ c: LlamaConfig) -> (inDim: Int, outDim: Int) {
        let d = c.dim, q = c.nHeads * c.headDim, kv = c.kvDim, h = c.hiddenDim
        switch self {
        case .q: return (d, q)
        case .k, .v: return (d, kv)
        case .o: return (q, d)
        case .gate, .up: return (d, h)
        case .down: return (h, d)
        }
    }

    /// Parses `q,v` or `q_proj,v_proj` (or `all`); duplicates and unknown names are refused.
    public static func parseList(_ s: String) throws -> [LoRATarget] {
        if s == "all" { return allCases }
        var out: [LoRATarget] = []
        for part in s.split(separator: ",", omittingEmptySubsequences: false).map(String.init) {
            guard let t = LoRATarget(name: part.trimmingCharacters(in: .whitespaces)) else {
                throw TrainerError.config(field: "lora_targets", message: "'\(part)' is not one of q, k, v, o, gate, up, down (or q_proj … down_proj, or all)")
            }
            guard !out.contains(t) else { throw TrainerError.config(field: "lora_targets", message: "'\(part)' named twice") }
            out.append(t)
        }
        return out.sorted()
    }
}

/// An adapter's hyper-parameters (PEFT's LoraConfig fields Spindle supports).
public struct LoRASettings: Equatable, Sendable {
    public var rank: Int
    public var alpha: Float
    public var dropout: Float = 0
    public var targets: [LoRATarget]
    /// rsLoRA's scaling alpha/√r instead of alpha/r (read from PEFT configs; Spindle writes false).
    public var rsLoRA = false

    public init(rank: Int, alpha: Float, dropout: Float = 0, targets: [LoRATarget]) {
        self.rank = rank; self.alpha = alpha; self.dropout = dropout; self.targets = targets.sorted()
    }

    /// s in y = W x + s · B A x.
    public var scaling: Float { rsLoRA ? alpha / Float(rank).squareRoot() : alpha / Float(rank) }

    public func validate() throws {
        guard rank >= 1 && rank <= 65536 else { throw TrainerError.config(field: "lora_rank", message: "\(rank): must be in 1...65536") }
        guard alpha.isFinite && alpha > 0 else { throw TrainerError.config(field: "lora_alpha", message: "\(alpha): must be finite and > 0") }
        guard dropout >= 0 && dropout < 1 else { throw TrainerError.config(field: "lora_dropout", message: "\(dropout): must be in [0, 1)") }
        guard !targets.isEmpty else { throw TrainerError.config(field: "lora_targets", message: "names no projection") }
    }

    /// `--print-config` and manifests.
    public var json: JSONValue {
        .object([("rank", .int(rank)), ("alpha", JSONValue.float(alpha)), ("dropout", JSONValue.float(dropout)),
                 ("targets", .array(targets.map { .string($0.short) }))])
    }
}

/// adapter_config.json, as PEFT writes and reads it.
public struct LoRAAdapterConfig: Equatable, Sendable {
    public var settings: LoRASettings
    /// The base checkpoint the adapter was trained on (an absolute path when Spindle writes it).
    public var baseModel: String?
    /// A reward model's adapter (PEFT's task_type SEQ_CLS): the score head trains beside the adapters
    /// (modules_to_save) and is stored whole; its pooling (`spindle_score_pooling`, written when not last).
    public var scorePooling: ScorePooling?
    /// A rotary scaling the adapter was trained under, applied to the (unscaled) base before the adapter
    /// (`spindle_rope_scaling`, TYPE:FACTOR as `--rope-scaling` takes it; Spindle-only, peft ignores it).
    public var ropeScaling: RoPEScaling?

    public init(settings: LoRASettings, baseModel: String?, scorePooling: ScorePooling? = nil, ropeScaling: RoPEScaling? = nil) {
        self.settings = settings; self.baseModel = baseModel; self.scorePooling = scorePooling; self.ropeScaling = ropeScaling
    }

    public var fileText: String {
        let s = settings
        let members: [(String, JSONValue)] = [
            ("alpha_pattern", .object([])), ("auto_mapping", .null),
            ("base_model_name_or_path", baseModel.map { .string($0) } ?? .null), ("bias", .string("none")),
            ("fan_in_fan_out", .bool(false)), ("inference_mode", .bool(true)), ("init_lora_weights", .bool(true)),
            ("layers_pattern", .null), ("layers_to_transform", .null), ("lora_alpha", JSONValue.float(s.alpha)),
            ("lora_dropout", JSONValue.float(s.dropout)),
            // PeftModelForSequenceClassification adds classifier and score (the one a Llama has) itself.
            ("modules_to_save", scorePooling == nil ? .null : .array([.string("classifier"), .string("score")])),
            ("peft_type", .string("LORA")), ("r", .int(s.rank)), ("rank_pattern", .object([])), ("revision", .null),
            ("target_modules", .array(s.targets.map { .string($0.hfName) })),
            ("task_type", .string(scorePooling == nil ? "CAUSAL_LM" : "SEQ_CLS")),
            ("use_dora", .bool(false)), ("use_rslora", .bool(s.rsLoRA)),
        ]
        let pooling: [(String, JSONValue)] = scorePooling.map { $0 == .last ? [] : [("spindle_score_pooling", .string($0.rawValue))] } ?? []
        let rope: [(String, JSONValue)] = ropeScaling.map { [("spindle_rope_scaling", .string($0.argument))] } ?? []
        return JSONValue.object(members + pooling + rope).fileText(.indented)
    }

    /// Reads `dir/adapter_config.json`; what Spindle cannot apply exactly (DoRA, biases, per-module ranks,
    /// fan_in_fan_out, layer subsets, extra trained modules, targets outside a Llama layer) is refused.
    public static func load(_ dir: String) throws -> LoRAAdapterConfig {
        let path = dir + "/adapter_config.json"
        guard let f = try JSONFields.load(path, errors: .format) else {
            throw TrainerError.io(file: path, message: "no adapter_config.json: not a LoRA adapter directory")
        }
        guard try f.string("peft_type") == "LORA" else { throw f.fail("peft_type", "must be \"LORA\"") }
        let task = try f.string("task_type") ?? "CAUSAL_LM"
        guard task == "CAUSAL_LM" || task == "SEQ_CLS" else {
            throw f.fail("task_type", "\(task): only CAUSAL_LM (language model) and SEQ_CLS (reward model) adapters are supported")
        }
        let rank = try f.required("r", f.int)
        let alpha = try f.float("lora_alpha") ?? 8
        var targets: [LoRATarget] = []
        switch f["target_modules"] {
        case .string(let s)?:
            throw f.fail("target_modules", "a regular expression ('\(s)') is not supported; list the modules")
        case .array(let a)?:
            for v in a {
                guard let name = v.stringValue, let t = LoRATarget(name: name) else { throw f.fail("target_modules", "\(v) is not a Llama projection (q_proj … down_proj)") }
                if !targets.contains(t) { targets.append(t) }
            }
        default: throw f.fail("target_modules", "missing or not a list")
        }
        var s = LoRASettings(rank: rank, alpha: alpha, dropout: try f.float("lora_dropout") ?? 0, targets: targets)
        s.rsLoRA = try f.bool("use_rslora") ?? false
        if try f.bool("use_dora") == true { throw f.fail("use_dora", "DoRA adapters are not supported") }
        if try f.bool("fan_in_fan_out") == true { throw f.fail("fan_in_fan_out", "must be false for Llama's nn.Linear layers") }
        if let b = try f.string("bias"), b != "none" { throw f.fail("bias", "\(b): only bias \"none\" is supported") }
        for key in ["rank_pattern", "alpha_pattern"] {
            if let m = f[key]?.members, !m.isEmpty { throw f.fail(key, "per-module ranks or alphas are not supported") }
        }
        if try f.bool("lora_bias") == true { throw f.fail("lora_bias", "LoRA biases are not supported") }
        for key in ["layers_to_transform", "layer_replication", "trainable_token_indices", "target_parameters"] {
            if let v = f[key], v != .null { throw f.fail(key, "must be null (adapters on every layer, no extra trained modules)") }
        }
        try checkModulesToSave(f, task: task)
        do { try s.validate() } catch let e as TrainerError { throw TrainerError.format(file: path, message: e.description) }
        var pooling: ScorePooling?
        if task == "SEQ_CLS" {
            let p = try f.string("spindle_score_pooling") ?? ScorePooling.last.rawValue
            guard let v = ScorePooling(rawValue: p) else { throw f.fail("spindle_score_pooling", "\"\(p)\": expected last or mean-response") }
            pooling = v
        }
        var rope: RoPEScaling?
        if let r = try f.string("spindle_rope_scaling") {
            do { rope = try RoPEScaling(argument: r) } catch { throw f.fail("spindle_rope_scaling", "\"\(r)\": expected TYPE:FACTOR (linear:4)") }
        }
        return LoRAAdapterConfig(settings: s, baseModel: try f.string("base_model_name_or_path"), scorePooling: pooling, ropeScaling: rope)
    }

    /// A language model's adapter trains nothing beside the adapters; a reward model's trains its score
    /// head (PEFT lists ["classifier", "score"]; a Llama has only the score).
    private static func checkModulesToSave(_ f: JSONFields, task: String) throws {
        guard let v = f["modules_to_save"], v != .null else { return }
        guard task == "SEQ_CLS" else { throw f.fail("modules_to_save", "must be null for a CAUSAL_LM adapter (no extra trained modules)") }
        guard let names = v.arrayValue?.map(\.stringValue), names.allSatisfy({ $0 == "score" || $0 == "classifier" }) else {
            throw f.fail("modules_to_save", "\(v): a reward model's adapter may only train its score head (score, classifier)")
        }
    }

    /// Whether `dir` holds an adapter (adapter_config.json) rather than a full checkpoint.
    public static func isAdapter(_ dir: String) -> Bool { FileManager.default.fileExists(atPath: dir + "/adapter_config.json") }
}
