import ArgumentParser
import Foundation
import SpindleIO
import SpindleShards
import SpindleTrainer

/// `spindle train sft`: supervised fine-tuning on SFT shards from a pretrained checkpoint.
struct TrainSFT: Configurable {
    static let configuration = CommandConfiguration(
        commandName: "sft",
        abstract: "Fine-tune a pretrained checkpoint on SFT shards (loss on answer tokens only).",
        discussion: """
        Rows come from `spindle pack sft` shards: their loss_mask selects the answer tokens, so prompts
        carry no loss (Llama 2 §3.1). The model shape comes from --init; the config gives the optimiser,
        batch and seq_len (configs/sft-llama2.json is the paper's preset: lr 2e-5 cosine, weight decay
        0.1, 2 epochs; configs/sft-nano.json the same scaled to the nano demo).

        Output in --output: checkpoint/ (HF layout + optimizer state + spindle_tokenizer.json),
        metrics.jsonl, report.html. Shards packed with another tokenizer than the one --init was
        trained with (when recorded) are refused.

        examples:
          spindle train sft --config sft-nano --init runs/pretrain/checkpoint --train-data shards/sft -o runs/sft
          spindle train sft --config sft-nano --train-data shards/sft -o runs/sft --resume
        """)

    @Option(name: .customLong("config"), help: "Training config (JSON file or preset name from configs/).") var preset = "sft-nano"
    @Option(name: .customLong("init"), help: "Pretrained checkpoint directory to start from.") var initFrom: String?
    @Option(help: "SFT shard directory (spindle pack sft).") var trainData: String
    @Option(help: "Held-out SFT shards for eval loss.") var evalData: String?
    @Option(name: [.short, .long], help: "Output directory.") var output: String
    @Option(help: "Passes over the training rows (sets the step count; Llama 2: 2).") var epochs: Double = 2
    @Option(help: "Optimiser steps (overrides --epochs).") var steps: Int?
    @Option(help: "Seed.") var seed: UInt64?
    @Option(help: "Threads.") var threads: Int?
    @Flag(help: "Continue from OUTPUT/checkpoint.") var resume = false
    @OptionGroup var config: ConfigOptions

    func run() throws {
        BLASBackend.prepareProcess()   // before any input is read: it may re-exec
        let summary = try train()
        print(String(format: "steps %d  final train loss %.4f%@", summary.steps, summary.finalLoss,
                     summary.evalLoss.map { String(format: "  eval loss %.4f", $0) } ?? ""))
    }

    func train() throws -> RunSummary {
        var cfg = try TrainConfig.load(Presets.resolve(preset))
        let ckpt = output + "/checkpoint"
        let shapeFrom = resume ? ckpt : (initFrom ?? "")
        guard !shapeFrom.isEmpty else { throw TrainerError.config(field: "init", message: "pass --init DIR (a pretrained checkpoint) or --resume") }
        if resume && !FileManager.default.fileExists(atPath: ckpt + "/trainer_state.json") {
            throw TrainerError.io(file: ckpt, message: "--resume: no checkpoint with trainer_state.json here")
        }
        cfg.model = try Checkpoint.loadConfig(shapeFrom)
        let known = try PostTrainData.readStamp(shapeFrom)
        let train = try PostTrainData.open(trainData, kind: .sft, model: cfg.model, stamp: known)
        let eval = try evalData.map { try PostTrainData.open($0, kind: .sft, model: cfg.model, stamp: known) }
        cfg.seqLen = train.metadata.seqLen
        guard cfg.seqLen <= cfg.model.maxSeqLen else {
            throw TrainerError.config(field: "seq_len", message: "shards hold rows of \(cfg.seqLen) tokens, the model's max_position_embeddings is \(cfg.model.maxSeqLen)")
        }
        cfg.outputDir = output
        if let seed { cfg.seed = seed }
        if let threads { cfg.threads = threads }
        cfg.steps = steps ?? SFT.steps(epochs: epochs, rows: train.count, config: cfg)
        cfg.warmupSteps = min(cfg.warmupSteps, max(0, cfg.steps - 1))
        cfg.checkpointEvery = max(cfg.checkpointEvery, 1)
        StandardError.line("sft: \(train.count) rows of \(cfg.seqLen) tokens, \(cfg.steps) steps (\(epochs) epochs)")
        let stamp = TokenizerStamp(fingerprint: train.metadata.tokenizer.fingerprint, vocabSize: train.metadata.tokenizer.vocabSize,
                                   bosID: train.metadata.tokenizer.bosID, eosID: train.metadata.tokenizer.eosID)
        return try SFT.run(config: cfg, initFrom: initFrom, train: ShardBatchSource(train), eval: eval.map(ShardBatchSource.init),
                           stamp: stamp, resume: resume, log: StandardError.line)
    }
}
