// SFT.swift: supervised fine-tuning — the pretraining loop on SFT shard rows (loss on answer tokens
// only, through the rows' loss_mask), starting from a pretrained checkpoint. The starting weights are
// written as a step-0 checkpoint (fresh AdamW moments) and the run resumes from it, so a fresh run
// and a resumed one are the same code path.
import Foundation
import SpindleIO
import SpindleShards

public enum SFT {
    /// Steps for `epochs` passes over `rows` rows.
    public static func steps(epochs: Double, rows: Int, config: TrainConfig) -> Int {
        max(1, Int((epochs * Double(rows) / Double(config.batchSize * config.gradAccum)).rounded(.up)))
    }

    /// Runs SFT into `config.outputDir` (checkpoint/, metrics.jsonl, report.html).
    /// `initFrom`: the pretrained checkpoint (ignored when resuming).
    public static func run(config: TrainConfig, initFrom: String?, train: TrainingBatchSource, eval: TrainingBatchSource?,
                           stamp: TokenizerStamp?, resume: Bool, lora: LoRASettings? = nil, log: (String) -> Void) throws -> RunSummary {
        let ckpt = config.outputDir + "/checkpoint"
        let lock = try DirectoryLock(config.outputDir)   // one writer per run directory
        defer { withExtendedLifetime(lock) {} }
        try FileManager.default.createDirectory(atPath: config.outputDir, withIntermediateDirectories: true)
        if !resume {
            guard let initFrom else { throw TrainerError.config(field: "init", message: "SFT starts from a pretrained checkpoint (--init DIR)") }
            if let lora {
                _ = try LoRACheckpoint.startRun(initFrom: initFrom, settings: lora, config: config, checkpoint: ckpt, stamp: stamp)
                try? FileManager.default.removeItem(atPath: config.outputDir + "/metrics.jsonl")   // a new run
                log("sft: starting from \(initFrom) (frozen), " + (try LoRACheckpoint.summary(lora, model: config.model)))
                return try Pretrain.run(config: config, train: train, eval: eval, resumeFrom: ckpt, stamp: stamp, log: log)
            }
            var model = try Checkpoint.load(initFrom)
            if model.config != config.model { model = try model.reconfigured(config.model) }   // --rope-scaling
            guard model.layout.head >= 0 else {
                throw TrainerError.config(field: "init", message: "\(initFrom) is a reward model (score head), not a language model")
            }
            var state = TrainerState()
            state.rngState = config.seed
            try Checkpoint.save(model, to: ckpt, optimizer: AdamW(layout: model.layout, settings: config.adamw, parallel: model.parallel),
                                state: state, stamp: stamp)
            try? FileManager.default.removeItem(atPath: config.outputDir + "/metrics.jsonl")   // a new run
            log("sft: starting from \(initFrom)")
        }
        return try Pretrain.run(config: config, train: train, eval: eval, resumeFrom: ckpt, stamp: stamp, log: log)
    }
}

/// Everything a `spindle train sft` run needs.
public struct SFTSettings: Sendable {
    /// The preset with the run's seed and threads; the model shape comes from `initFrom` (or the
    /// checkpoint being resumed), seq_len from the shards, steps from `steps` or `epochs`.
    public var config: TrainConfig
    /// The pretrained checkpoint to start from; not read when resuming.
    public var initFrom: String?
    /// SFT shard directory (`spindle pack sft`).
    public var trainData: String
    /// Held-out SFT shards for eval loss.
    public var evalData: String?
    /// Output directory: checkpoint/, metrics.jsonl, report.html.
    public var output: String
    /// Passes over the training rows (sets the step count unless `steps` is given).
    public var epochs = 2.0
    public var steps: Int?
    /// Continue from `output`/checkpoint.
    public var resume = false
    /// Replace a run already in `output` (without it, a directory holding one is refused unless `resume`).
    public var overwrite = false
    /// Rotary scaling applied to `initFrom` (position-interpolation fine-tuning); not used when resuming.
    public var ropeScaling: RoPEScaling?
    /// Train LoRA adapters on the frozen `initFrom` instead of every weight (not used when resuming:
    /// a LoRA checkpoint brings its own).
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
            ("eval_data", evalData.map { .string($0) } ?? .null), ("output", .string(output)), ("epochs", .double(epochs)),
            ("steps", steps.map { .int($0) } ?? .null), ("resume", .bool(resume)),
        ] + (ropeScaling.map { [("rope_scaling", .string($0.argument))] } ?? []) + (lora.map { [("lora", $0.json)] } ?? [])
          + [("config", config.presetJSON)])
    }
}

extension SFT {
    /// Runs `settings`: resolves the model shape and tokenizer stamp from the starting checkpoint,
    /// opens the shards, sets seq_len and the step count, and trains (`run(config:…)`).
    public static func run(_ settings: SFTSettings, log: (String) -> Void) throws -> RunSummary {
        let s = settings
        var cfg = s.config
        let ckpt = s.output + "/checkpoint"
        try RunDirectory.checkFresh(s.output, resume: s.resume, overwrite: s.overwrite)
        let shapeFrom = s.resume ? ckpt : (s.initFrom ?? "")
        guard !shapeFrom.isEmpty else { throw TrainerError.config(field: "init", message: "pass --init DIR (a pretrained checkpoint) or --resume") }
        if s.resume && !FileManager.default.fileExists(atPath: ckpt + "/trainer_state.json") {
            throw TrainerError.io(file: ckpt, message: "--resume: no checkpoint with trainer_state.json here")
        }
        cfg.model = try LoRACheckpoint.modelConfig(shapeFrom)
        if !s.resume, let r = s.ropeScaling { cfg.model = try cfg.model.scaled(r) }
        let known = try PostTrainData.readStamp(shapeFrom)
        let train = try PostTrainData.open(s.trainData, kind: .sft, model: cfg.model, stamp: known)
        let eval = try s.evalData.map { try PostTrainData.open($0, kind: .sft, model: cfg.model, stamp: known) }
        cfg.seqLen = train.metadata.seqLen
        guard cfg.seqLen <= cfg.model.maxSeqLen else {
            throw TrainerError.config(field: "seq_len", message: "shards hold rows of \(cfg.seqLen) tokens, the model's max_position_embeddings is \(cfg.model.maxSeqLen)")
        }
        cfg.outputDir = s.output
        cfg.steps = s.steps ?? steps(epochs: s.epochs, rows: train.count, config: cfg)
        cfg.warmupSteps = min(cfg.warmupSteps, max(0, cfg.steps - 1))
        cfg.checkpointEvery = max(cfg.checkpointEvery, 1)
        log("sft: \(train.count) rows of \(cfg.seqLen) tokens, \(cfg.steps) steps (\(s.epochs) epochs)")
        let m = train.metadata.tokenizer
        let stamp = TokenizerStamp(fingerprint: m.fingerprint, vocabSize: m.vocabSize, bosID: m.bosID, eosID: m.eosID)
        return try run(config: cfg, initFrom: s.initFrom, train: ShardBatchSource(train), eval: eval.map(ShardBatchSource.init),
                       stamp: stamp, resume: s.resume, lora: s.lora, log: log)
    }

    /// The line `spindle train sft` prints when done.
    public static func summaryLine(_ r: RunSummary) -> String {
        String(format: "steps %d  final train loss %.4f%@", r.steps, r.finalLoss, r.evalLoss.map { String(format: "  eval loss %.4f", $0) } ?? "")
    }
}
