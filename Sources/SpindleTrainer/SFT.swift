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
                           stamp: TokenizerStamp?, resume: Bool, log: (String) -> Void) throws -> RunSummary {
        let ckpt = config.outputDir + "/checkpoint"
        let lock = try DirectoryLock(config.outputDir)   // one writer per run directory
        defer { withExtendedLifetime(lock) {} }
        try FileManager.default.createDirectory(atPath: config.outputDir, withIntermediateDirectories: true)
        if !resume {
            guard let initFrom else { throw TrainerError.config(field: "init", message: "SFT starts from a pretrained checkpoint (--init DIR)") }
            let model = try Checkpoint.load(initFrom)
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
