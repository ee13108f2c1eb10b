// TrainConfig.swift: a training run as data (configs/*.json, schemas/trainer-config.schema.json).
import Foundation

/// Everything a pretraining run needs besides the data itself.
public struct TrainConfig: Equatable, Sendable {
    public var model: LlamaConfig
    public var seqLen = 256
    public var batchSize = 8
    public var gradAccum = 1
    public var steps = 1000
    public var lr: Float = 3e-4
    public var warmupSteps = 100
    public var minLRRatio: Float = 0.1
    public var adamw = AdamWSettings()
    public var gradClip: Float = 1.0
    public var seed: UInt64 = 1234
    public var threads = 2
    public var evalEvery = 100
    public var evalBatches = 4
    public var logEvery = 10
    public var checkpointEvery = 500
    public var trainData: String?
    public var evalData: String?
    public var dataFormat = "ids"       // "ids" (token-id text) or "mds" (shards, wired by SpindleShards)
    public var outputDir = "runs/out"

    public init(model: LlamaConfig) { self.model = model }

    /// Tokens per optimiser step.
    public var tokensPerStep: Int { seqLen * batchSize * gradAccum }

    public var schedule: CosineSchedule {
        CosineSchedule(peak: lr, warmupSteps: warmupSteps, totalSteps: steps, floorRatio: minLRRatio)
    }

    /// Parses the JSON form; unknown keys are errors (typos must not silently fall back to defaults).
    public init(json: [String: Any], path: String) throws {
        func section(_ k: String) throws -> [String: Any] {
            guard let v = json[k] else { return [:] }
            guard let d = v as? [String: Any] else { throw TrainerError.config(field: k, message: "must be an object (\(path))") }
            return d
        }
        let known: Set<String> = ["$schema", "description", "model", "training", "eval", "data", "output"]
        if let extra = json.keys.first(where: { !known.contains($0) }) {
            throw TrainerError.config(field: extra, message: "unknown key in \(path)")
        }
        let m = try section("model"), t = try section("training"), e = try section("eval")
        let d = try section("data"), o = try section("output")
        func num(_ s: [String: Any], _ sec: String, _ k: String, allowed: Set<String>) throws -> NSNumber? {
            if let extra = s.keys.first(where: { !allowed.contains($0) }) {
                throw TrainerError.config(field: "\(sec).\(extra)", message: "unknown key in \(path)")
            }
            guard let v = s[k] else { return nil }
            guard let n = v as? NSNumber else { throw TrainerError.config(field: "\(sec).\(k)", message: "must be a number (\(path))") }
            return n
        }
        let mk: Set<String> = ["dim", "n_layers", "n_heads", "n_kv_heads", "hidden_dim", "vocab_size", "max_seq_len",
                               "norm_eps", "rope_theta", "tie_embeddings"]
        func req(_ k: String) throws -> Int {
            guard let v = try num(m, "model", k, allowed: mk) else { throw TrainerError.config(field: "model.\(k)", message: "required (\(path))") }
            return v.intValue
        }
        let heads = try req("n_heads")
        var model = LlamaConfig(dim: try req("dim"), nLayers: try req("n_layers"), nHeads: heads,
                                nKVHeads: try num(m, "model", "n_kv_heads", allowed: mk)?.intValue ?? heads,
                                hiddenDim: try req("hidden_dim"), vocabSize: try req("vocab_size"),
                                maxSeqLen: try req("max_seq_len"))
        if let v = try num(m, "model", "norm_eps", allowed: mk) { model.normEps = v.floatValue }
        if let v = try num(m, "model", "rope_theta", allowed: mk) { model.ropeTheta = v.floatValue }
        if let v = m["tie_embeddings"] {
            guard let b = v as? Bool else { throw TrainerError.config(field: "model.tie_embeddings", message: "must be true or false") }
            model.tieEmbeddings = b
        }
        try model.validate()
        self.init(model: model)
        let tk: Set<String> = ["seq_len", "batch_size", "grad_accum", "steps", "lr", "warmup_steps", "min_lr_ratio",
                               "weight_decay", "beta1", "beta2", "eps", "grad_clip", "seed", "threads", "log_every"]
        if let v = try num(t, "training", "seq_len", allowed: tk) { seqLen = v.intValue }
        if let v = try num(t, "training", "batch_size", allowed: tk) { batchSize = v.intValue }
        if let v = try num(t, "training", "grad_accum", allowed: tk) { gradAccum = v.intValue }
        if let v = try num(t, "training", "steps", allowed: tk) { steps = v.intValue }
        if let v = try num(t, "training", "lr", allowed: tk) { lr = v.floatValue }
        if let v = try num(t, "training", "warmup_steps", allowed: tk) { warmupSteps = v.intValue }
        if let v = try num(t, "training", "min_lr_ratio", allowed: tk) { minLRRatio = v.floatValue }
        if let v = try num(t, "training", "weight_decay", allowed: tk) { adamw.weightDecay = v.floatValue }
        if let v = try num(t, "training", "beta1", allowed: tk) { adamw.beta1 = v.floatValue }
        if let v = try num(t, "training", "beta2", allowed: tk) { adamw.beta2 = v.floatValue }
        if let v = try num(t, "training", "eps", allowed: tk) { adamw.eps = v.floatValue }
        if let v = try num(t, "training", "grad_clip", allowed: tk) { gradClip = v.floatValue }
        if let v = try num(t, "training", "seed", allowed: tk) { seed = v.uint64Value }
        if let v = try num(t, "training", "threads", allowed: tk) { threads = v.intValue }
        if let v = try num(t, "training", "log_every", allowed: tk) { logEvery = v.intValue }
        let ek: Set<String> = ["every", "batches"]
        if let v = try num(e, "eval", "every", allowed: ek) { evalEvery = v.intValue }
        if let v = try num(e, "eval", "batches", allowed: ek) { evalBatches = v.intValue }
        let dk: Set<String> = ["train", "eval", "format"]
        if let extra = d.keys.first(where: { !dk.contains($0) }) { throw TrainerError.config(field: "data.\(extra)", message: "unknown key in \(path)") }
        trainData = d["train"] as? String
        evalData = d["eval"] as? String
        if let f = d["format"] as? String { dataFormat = f }
        let ok: Set<String> = ["dir", "checkpoint_every"]
        if let v = try num(o, "output", "checkpoint_every", allowed: ok) { checkpointEvery = v.intValue }
        if let dir = o["dir"] as? String { outputDir = dir }
        try validate()
    }

    /// Reads a config file.
    public static func load(_ path: String) throws -> TrainConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TrainerError.io(file: path, message: "cannot read config file")
        }
        guard let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw TrainerError.format(file: path, message: "not a JSON object")
        }
        return try TrainConfig(json: json, path: path)
    }

    public func validate() throws {
        try model.validate()
        for (f, v) in [("training.seq_len", seqLen), ("training.batch_size", batchSize), ("training.grad_accum", gradAccum),
                       ("training.threads", threads)] where v < 1 {
            throw TrainerError.config(field: f, message: "must be at least 1, got \(v)")
        }
        if seqLen > model.maxSeqLen {
            throw TrainerError.config(field: "training.seq_len", message: "\(seqLen) exceeds model.max_seq_len \(model.maxSeqLen)")
        }
        if steps < 0 || warmupSteps < 0 { throw TrainerError.config(field: "training.steps", message: "must not be negative") }
        if !(lr > 0) { throw TrainerError.config(field: "training.lr", message: "must be positive") }
        if !["ids", "mds"].contains(dataFormat) {
            throw TrainerError.config(field: "data.format", message: "\"\(dataFormat)\": expected \"ids\" or \"mds\"")
        }
    }

    /// The canonical JSON form (`--print-config`).
    public func json() -> String {
        let m = model
        return """
        {
          "model": {"dim": \(m.dim), "n_layers": \(m.nLayers), "n_heads": \(m.nHeads), "n_kv_heads": \(m.nKVHeads), "hidden_dim": \(m.hiddenDim), "vocab_size": \(m.vocabSize), "max_seq_len": \(m.maxSeqLen), "norm_eps": \(jsonNumber(m.normEps)), "rope_theta": \(jsonNumber(m.ropeTheta)), "tie_embeddings": \(m.tieEmbeddings)},
          "training": {"seq_len": \(seqLen), "batch_size": \(batchSize), "grad_accum": \(gradAccum), "steps": \(steps), "lr": \(jsonNumber(lr)), "warmup_steps": \(warmupSteps), "min_lr_ratio": \(jsonNumber(minLRRatio)), "weight_decay": \(jsonNumber(adamw.weightDecay)), "beta1": \(jsonNumber(adamw.beta1)), "beta2": \(jsonNumber(adamw.beta2)), "eps": \(jsonNumber(adamw.eps)), "grad_clip": \(jsonNumber(gradClip)), "seed": \(seed), "threads": \(threads), "log_every": \(logEvery)},
          "eval": {"every": \(evalEvery), "batches": \(evalBatches)},
          "data": {\(trainData.map { "\"train\": \"\($0)\", " } ?? "")\(evalData.map { "\"eval\": \"\($0)\", " } ?? "")"format": "\(dataFormat)"},
          "output": {"dir": "\(outputDir)", "checkpoint_every": \(checkpointEvery)}
        }

        """
    }
}
