// TrainConfig.swift: a training run as data (configs/*.json, schemas/trainer-config.schema.json).
import Foundation
import SpindleIO

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
    public init(json: JSONValue, path: String) throws {
        let root = try JSONFields(json, file: path, errors: .config)
        try root.rejectUnknown(["$schema", "description", "model", "training", "eval", "data", "output"])
        let m = try root.section("model"), t = try root.section("training"), e = try root.section("eval")
        let d = try root.section("data"), o = try root.section("output")
        try m.rejectUnknown(["dim", "n_layers", "n_heads", "n_kv_heads", "hidden_dim", "vocab_size", "max_seq_len",
                             "norm_eps", "rope_theta", "tie_embeddings"])
        try t.rejectUnknown(["seq_len", "batch_size", "grad_accum", "steps", "lr", "warmup_steps", "min_lr_ratio",
                             "weight_decay", "beta1", "beta2", "eps", "grad_clip", "seed", "threads", "log_every"])
        try e.rejectUnknown(["every", "batches"])
        try d.rejectUnknown(["train", "eval", "format"])
        try o.rejectUnknown(["dir", "checkpoint_every"])
        let heads = try m.required("n_heads", m.int)
        var model = LlamaConfig(dim: try m.required("dim", m.int), nLayers: try m.required("n_layers", m.int), nHeads: heads,
                                nKVHeads: try m.int("n_kv_heads") ?? heads,
                                hiddenDim: try m.required("hidden_dim", m.int), vocabSize: try m.required("vocab_size", m.int),
                                maxSeqLen: try m.required("max_seq_len", m.int))
        if let v = try m.float("norm_eps") { model.normEps = v }
        if let v = try m.float("rope_theta") { model.ropeTheta = v }
        if let v = try m.bool("tie_embeddings") { model.tieEmbeddings = v }
        try model.validate()
        self.init(model: model)
        try readTraining(t)
        if let v = try e.int("every") { evalEvery = v }
        if let v = try e.int("batches") { evalBatches = v }
        trainData = try d.string("train")
        evalData = try d.string("eval")
        if let f = try d.string("format") { dataFormat = f }
        if let v = try o.int("checkpoint_every") { checkpointEvery = v }
        if let dir = try o.string("dir") { outputDir = dir }
        try validate()
    }

    private mutating func readTraining(_ t: JSONFields) throws {
        if let v = try t.int("seq_len") { seqLen = v }
        if let v = try t.int("batch_size") { batchSize = v }
        if let v = try t.int("grad_accum") { gradAccum = v }
        if let v = try t.int("steps") { steps = v }
        if let v = try t.float("lr") { lr = v }
        if let v = try t.int("warmup_steps") { warmupSteps = v }
        if let v = try t.float("min_lr_ratio") { minLRRatio = v }
        if let v = try t.float("weight_decay") { adamw.weightDecay = v }
        if let v = try t.float("beta1") { adamw.beta1 = v }
        if let v = try t.float("beta2") { adamw.beta2 = v }
        if let v = try t.float("eps") { adamw.eps = v }
        if let v = try t.float("grad_clip") { gradClip = v }
        if let v = t["seed"] {
            guard case .number(let text) = v, let s = UInt64(text) else { throw t.fail("seed", "must be an integer from 0 to 2^64-1") }
            seed = s
        }
        if let v = try t.int("threads") { threads = v }
        if let v = try t.int("log_every") { logEvery = v }
    }

    /// Reads a config file.
    public static func load(_ path: String) throws -> TrainConfig {
        guard let fields = try JSONFields.load(path, errors: .config) else {
            throw TrainerError.io(file: path, message: "cannot read config file")
        }
        return try TrainConfig(json: .object(fields.members), path: path)
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
        if !(lr > 0) || !lr.isFinite { throw TrainerError.config(field: "training.lr", message: "must be a positive finite number, got \(lr)") }
        for (f, v) in [("training.beta1", adamw.beta1), ("training.beta2", adamw.beta2)] where !(v >= 0 && v < 1) {
            throw TrainerError.config(field: f, message: "must be in [0, 1), got \(v)")
        }
        if !(adamw.eps > 0) || !adamw.eps.isFinite { throw TrainerError.config(field: "training.eps", message: "must be a positive finite number, got \(adamw.eps)") }
        if !(adamw.weightDecay >= 0) || !adamw.weightDecay.isFinite {
            throw TrainerError.config(field: "training.weight_decay", message: "must be a finite number >= 0, got \(adamw.weightDecay)")
        }
        if !(gradClip >= 0) || !gradClip.isFinite { throw TrainerError.config(field: "training.grad_clip", message: "must be a finite number >= 0, got \(gradClip)") }
        if !(minLRRatio >= 0 && minLRRatio <= 1) { throw TrainerError.config(field: "training.min_lr_ratio", message: "must be in [0, 1], got \(minLRRatio)") }
        if !["ids", "mds"].contains(dataFormat) {
            throw TrainerError.config(field: "data.format", message: "\"\(dataFormat)\": expected \"ids\" or \"mds\"")
        }
    }

    /// The canonical JSON form (`--print-config`): one section per line.
    public var jsonValue: JSONValue {
        let m = model
        var data: [(String, JSONValue)] = []
        if let trainData { data.append(("train", .string(trainData))) }
        if let evalData { data.append(("eval", .string(evalData))) }
        data.append(("format", .string(dataFormat)))
        return .object([
            ("model", .object([
                ("dim", .int(m.dim)), ("n_layers", .int(m.nLayers)), ("n_heads", .int(m.nHeads)), ("n_kv_heads", .int(m.nKVHeads)),
                ("hidden_dim", .int(m.hiddenDim)), ("vocab_size", .int(m.vocabSize)), ("max_seq_len", .int(m.maxSeqLen)),
                ("norm_eps", .float(m.normEps)), ("rope_theta", .float(m.ropeTheta)), ("tie_embeddings", .bool(m.tieEmbeddings)),
            ])),
            ("training", .object([
                ("seq_len", .int(seqLen)), ("batch_size", .int(batchSize)), ("grad_accum", .int(gradAccum)), ("steps", .int(steps)),
                ("lr", .float(lr)), ("warmup_steps", .int(warmupSteps)), ("min_lr_ratio", .float(minLRRatio)),
                ("weight_decay", .float(adamw.weightDecay)), ("beta1", .float(adamw.beta1)), ("beta2", .float(adamw.beta2)),
                ("eps", .float(adamw.eps)), ("grad_clip", .float(gradClip)), ("seed", .int(seed)), ("threads", .int(threads)),
                ("log_every", .int(logEvery)),
            ])),
            ("eval", .object([("every", .int(evalEvery)), ("batches", .int(evalBatches))])),
            ("data", .object(data)),
            ("output", .object([("dir", .string(outputDir)), ("checkpoint_every", .int(checkpointEvery))])),
        ])
    }

    /// `jsonValue` as the file text: one section per line, a final newline.
    public func json() -> String { jsonValue.fileText(.memberPerLine) }
}
