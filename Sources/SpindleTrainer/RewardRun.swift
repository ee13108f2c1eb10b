// RewardRun.swift: a whole `spindle train rm` run — the model shape and tokenizer stamp from the
// starting checkpoint, the preference shards (and a held-out part), the step count and Llama 2's
// warm-up, then RewardTraining.
import Foundation
import SpindleIO
import SpindleShards

/// Everything a `spindle train rm` run needs.
public struct RewardSettings: Sendable {
    /// The preset with the run's seed and threads; the model shape comes from `initFrom` (or the
    /// checkpoint being resumed), the steps from `steps` or `epochs`, the warm-up from the steps.
    public var config: TrainConfig
    /// The checkpoint to start from (a language model gets a new score head); not read when resuming.
    /// nil: a model of the preset's shape from its initialisation (`--init` omitted).
    public var initFrom: String?
    /// Preference shard directory (`spindle pack preference`).
    public var trainData: String
    /// Held-out preference shards (accuracy during training).
    public var evalData: String?
    /// Without `evalData`: hold out this fraction of the training pairs (the last ones).
    public var holdout = 0.0
    /// Output directory: checkpoint/, metrics.jsonl, report.html.
    public var output: String
    public var margins: MarginTable = .small
    /// Pooling and initialisation of a new score head (ignored when starting from a reward model).
    public var head = RewardHead()
    /// Passes over the pairs (sets the step count unless `steps` is given).
    public var epochs = 1.0
    public var steps: Int?
    /// Continue from `output`/checkpoint.
    public var resume = false
    /// Replace a run already in `output` (without it, a directory holding one is refused unless `resume`).
    public var overwrite = false
    /// Train LoRA adapters and the score head on the frozen `initFrom` trunk (not used when resuming: a
    /// LoRA checkpoint brings its own). LoRAReward.swift.
    public var lora: LoRASettings?

    public init(config: TrainConfig, trainData: String, output: String) {
        self.config = config
        self.trainData = trainData
        self.output = output
    }

    /// The settings as `--print-config` shows them.
    public var json: JSONValue {
        .object([
            ("init", initFrom.map { .string($0) } ?? .null), ("train_data", .string(trainData)),
            ("eval_data", evalData.map { .string($0) } ?? .null), ("holdout", .double(holdout)), ("output", .string(output)),
            ("margin", .string(margins.rawValue)),
            ("pooling", .string(head.pooling.rawValue)), ("score_init", .string(head.initialization.rawValue)), ("epochs", .double(epochs)), ("steps", steps.map { .int($0) } ?? .null),
            ("resume", .bool(resume)), ("lora", lora?.json ?? .null), ("config", config.presetJSON),
        ])
    }
}

extension RewardTraining {
    /// Runs `settings` (see `run(config:…)`).
    public static func run(_ settings: RewardSettings, log: (String) -> Void) throws -> (steps: Int, loss: Double, evalAccuracy: Double?) {
        let s = settings
        var cfg = s.config
        let ckpt = s.output + "/checkpoint"
        try RunDirectory.checkFresh(s.output, resume: s.resume, overwrite: s.overwrite)
        if s.lora != nil && s.initFrom == nil && !s.resume {
            throw TrainerError.config(field: "init", message: "LoRA trains adapters on a pretrained trunk: pass --init DIR")
        }
        if s.resume && !FileManager.default.fileExists(atPath: ckpt + "/trainer_state.json") {
            throw TrainerError.io(file: ckpt, message: "--resume: no checkpoint with trainer_state.json here")
        }
        // The shape comes from the checkpoint started from (or resumed); from scratch, from the preset.
        let shapeFrom = s.resume ? ckpt : s.initFrom
        if let shapeFrom { cfg.model = try Checkpoint.loadConfig(shapeFrom) }
        cfg.model.scoreHead = true
        let known = try shapeFrom.flatMap { try PostTrainData.readStamp($0) }
        let ds = try PostTrainData.open(s.trainData, kind: .preference, model: cfg.model, stamp: known)
        var pairs = try PostTrainData.pairs(ds)
        var eval: [PreferenceTokens] = []
        if let evalData = s.evalData {
            eval = try PostTrainData.pairs(try PostTrainData.open(evalData, kind: .preference, model: cfg.model, stamp: known))
        } else if s.holdout > 0 {
            let n = Int((Double(pairs.count) * s.holdout).rounded())
            eval = Array(pairs.suffix(n)); pairs.removeLast(n)
        }
        cfg.seqLen = min(cfg.seqLen, cfg.model.maxSeqLen)
        cfg.outputDir = s.output
        cfg.steps = s.steps ?? max(1, Int((s.epochs * Double(pairs.count) / Double(cfg.batchSize)).rounded(.up)))
        cfg.warmupSteps = RewardPreset.warmup(steps: cfg.steps)
        let m = ds.metadata.tokenizer
        return try run(config: cfg, initFrom: s.initFrom, pairs: pairs, eval: eval, margins: s.margins, head: s.head,
                       stamp: TokenizerStamp(fingerprint: m.fingerprint, vocabSize: m.vocabSize, bosID: m.bosID, eosID: m.eosID),
                       resume: s.resume, lora: s.lora, log: log)
    }

    /// The line `spindle train rm` prints when done.
    public static func summaryLine(_ r: (steps: Int, loss: Double, evalAccuracy: Double?)) -> String {
        String(format: "steps %d  final loss %.4f%@", r.steps, r.loss, r.evalAccuracy.map { String(format: "  held-out accuracy %.4f", $0) } ?? "")
    }
}
