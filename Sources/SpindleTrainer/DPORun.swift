// DPORun.swift: a whole `spindle train dpo` run from the command line's settings — the model shape and
// tokenizer stamp from the SFT checkpoint, the preference shards (and a held-out part), the step count,
// the reference file's key, then DPOTraining.
import Foundation
import SpindleIO
import SpindleShards

/// Everything a `spindle train dpo` run needs.
public struct DPOSettings: Sendable {
    /// The preset with the run's seed and threads; the model shape comes from `initFrom`, the steps
    /// from `steps` or `epochs`.
    public var config: TrainConfig
    /// The SFT checkpoint: the policy's start (unless resuming) and, frozen, the reference (always).
    public var initFrom: String
    /// Preference shard directory (`spindle pack preference`).
    public var trainData: String
    /// Held-out preference shards (reward accuracy during training).
    public var evalData: String?
    /// Without `evalData`: hold out this fraction of the training pairs (the last ones).
    public var holdout = 0.0
    /// Output directory: checkpoint/, reference_logps.json, metrics.jsonl, report.html.
    public var output: String
    public var loss = DPOLossSettings()
    /// Compute the reference's log-probs for every batch instead of once.
    public var refOnTheFly = false
    /// Passes over the pairs (sets the step count unless `steps` is given).
    public var epochs = 1.0
    public var steps: Int?
    public var resume = false
    public var overwrite = false
    /// Train LoRA adapters on the frozen `initFrom` (which stays the reference).
    public var lora: LoRASettings?

    public init(config: TrainConfig, initFrom: String, trainData: String, output: String) {
        self.config = config; self.initFrom = initFrom; self.trainData = trainData; self.output = output
    }

    /// The settings as `--print-config` shows them.
    public var json: JSONValue {
        .object([
            ("init", .string(initFrom)), ("train_data", .string(trainData)), ("eval_data", evalData.map { .string($0) } ?? .null),
            ("holdout", .double(holdout)), ("output", .string(output)), ("loss", .string(loss.kind.rawValue)),
            ("beta", .double(loss.beta)), ("label_smoothing", .double(loss.labelSmoothing)), ("margins", .string(loss.margins.rawValue)),
            ("ref_on_the_fly", .bool(refOnTheFly)), ("epochs", .double(epochs)), ("steps", steps.map { .int($0) } ?? .null),
            ("resume", .bool(resume)), ("lora", lora?.json ?? .null), ("config", config.presetJSON),
        ])
    }
}

extension DPOTraining {
    /// Runs `settings` (see `run(config:…)`).
    public static func run(_ settings: DPOSettings, stopAt: Int? = nil, log: (String) -> Void) throws -> DPOSummary {
        let s = settings
        try s.loss.validate()
        var cfg = s.config
        let ckpt = s.output + "/checkpoint"
        try RunDirectory.checkFresh(s.output, resume: s.resume, overwrite: s.overwrite)
        if s.resume && !FileManager.default.fileExists(atPath: ckpt + "/trainer_state.json") {
            throw TrainerError.io(file: ckpt, message: "--resume: no checkpoint with trainer_state.json here")
        }
        cfg.model = try Checkpoint.loadConfig(s.initFrom)
        guard !cfg.model.scoreHead else {
            throw TrainerError.config(field: "init", message: "\(s.initFrom) is a reward model (score head); DPO starts from a language model (the SFT checkpoint)")
        }
        let known = try PostTrainData.readStamp(s.initFrom)
        let ds = try PostTrainData.open(s.trainData, kind: .preference, model: cfg.model, stamp: known)
        let all = try PostTrainDataDPO.pairs(ds)
        var pairs = all, eval: [DPOPair] = []
        if let evalData = s.evalData {
            eval = try PostTrainDataDPO.pairs(try PostTrainData.open(evalData, kind: .preference, model: cfg.model, stamp: known))
        } else if s.holdout > 0 {
            let n = Int((Double(pairs.count) * s.holdout).rounded())
            pairs.removeLast(n)
            eval = Array(all.suffix(n))
        }
        cfg.seqLen = min(cfg.seqLen, cfg.model.maxSeqLen)
        cfg.outputDir = s.output
        cfg.steps = s.steps ?? max(1, Int((s.epochs * Double(pairs.count) / Double(cfg.batchSize)).rounded(.up)))
        cfg.warmupSteps = min(cfg.warmupSteps, max(0, cfg.steps - 1))
        // The stored file covers the training shards' pairs in shard order (a held-out tail included);
        // --eval-data pairs are scored once in memory.
        let mode: DPOReferenceMode = s.refOnTheFly ? .onTheFly
            : .once(key: try DPOReferenceKey.of(shards: s.trainData, reference: s.initFrom, seqLen: cfg.seqLen, pairs: all.count))
        let m = ds.metadata.tokenizer
        let stamp = TokenizerStamp(fingerprint: m.fingerprint, vocabSize: m.vocabSize, bosID: m.bosID, eosID: m.eosID)
        return try run(config: cfg, initFrom: s.initFrom, pairs: pairs, eval: eval, evalInReferenceFile: s.evalData == nil,
                       loss: s.loss, reference: mode, stamp: stamp, resume: s.resume, stopAt: stopAt, lora: s.lora, log: log)
    }

    /// The line `spindle train dpo` prints when done.
    public static func summaryLine(_ r: DPOSummary) -> String {
        String(format: "steps %d  final loss %.4f  reward accuracy %.4f%@", r.steps, r.loss, r.rewardAccuracy,
               r.evalAccuracy.map { String(format: "  held-out reward accuracy %.4f", $0) } ?? "")
    }
}
