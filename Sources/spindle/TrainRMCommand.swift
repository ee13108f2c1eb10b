import ArgumentParser
import Foundation
import SpindleIO
import SpindleTrainer

extension MarginTable: ExpressibleByArgument {}
extension ScorePooling: ExpressibleByArgument {}
extension ScoreInit: ExpressibleByArgument {}

/// `spindle train rm`: a reward model (trunk + scalar head) on preference shards.
struct TrainRM: Configurable {
    static let configuration = CommandConfiguration(
        commandName: "rm",
        abstract: "Train a reward model (Llama trunk + score head) on preference shards with the margin ranking loss.",
        discussion: """
        Loss −log σ(r_c − r_r − m(degree)) with Llama 2's margin tables (--margin small: 0, 1/3, 2/3, 1;
        large: 0, 1, 2, 3; none). The score is read at each sequence's last token (--pooling last: the
        checkpoint is an HF LlamaForSequenceClassification, score.weight, num_labels 1) or averaged over
        the answer's tokens (--pooling mean-response: Spindle-only, recorded in config.json as
        spindle_score_pooling; the real-data recipe's choice, docs/POSTTRAIN.md). Llama 2 trains separate
        helpfulness and safety models on their mixes (`spindle pack preference --mix helpfulness|safety`).

        Preset (configs/rm-llama2.json; rm-nano.json scaled to the demo): 1 epoch, lr 1e-5 cosine to
        10%, warm-up 3% of the steps but at least 5. training.batch_size is pairs per step,
        training.grad_accum rows per forward pass, training.seq_len tokens per row.

        With --lora-rank, LoRA adapters train on the frozen --init trunk and the score head trains whole
        beside them (PEFT's task_type SEQ_CLS, modules_to_save score); checkpoint/ is a PEFT adapter
        directory that every --checkpoint (eval rm, train ppo/rejection --helpfulness-rm, …) reads merged,
        and `spindle lora merge` folds into a full LlamaForSequenceClassification checkpoint.

        examples:
          spindle train rm --config rm-nano --init runs/sft/checkpoint --train-data shards/rm-helpful -o runs/rm-helpful
          spindle train rm --config rm-nano --train-data shards/rm-helpful -o runs/rm-helpful --resume
          spindle train rm --config rm-hh --pooling mean-response --epochs 2 --train-data shards/safety -o runs/rm-safety
          spindle train rm --config rm-nano --init runs/sft/checkpoint --train-data shards/rm-helpful -o runs/rm-lora --lora-rank 8
        """)

    @Option(name: .customLong("config"), help: "Training config (JSON file or preset name).") var preset = "rm-nano"
    @Option(name: .customLong("init"), help: "Checkpoint to start from (a language model: its trunk gets a new score head); without it, a new model of the preset's shape.") var initFrom: String?
    @Option(help: "Preference shard directory (spindle pack preference).") var trainData: String
    @Option(help: "Held-out preference shards (accuracy during training).") var evalData: String?
    @Option(help: "Hold out this fraction of the training pairs (the last ones) when --eval-data is absent.") var holdout: Double = 0
    @Option(name: [.short, .long], help: "Output directory.") var output: String
    @Option(help: "Margin table: none, small or large.") var margin: MarginTable = .small
    @Option(help: "Reward read at the last token (last: transformers' LlamaForSequenceClassification) or the mean over the response (mean-response).") var pooling: ScorePooling = .last
    @Option(help: "A new score head starts at N(0, 0.02) (normal) or zero.") var scoreInit: ScoreInit = .normal
    @Option(help: "Passes over the pairs (Llama 2: 1).") var epochs: Double = 1
    @Option(help: "Optimiser steps (overrides --epochs).") var steps: Int?
    @Option(help: "Seed.") var seed: UInt64?
    @Option(help: "Threads.") var threads: Int?
    @Flag(help: "Continue from OUTPUT/checkpoint.") var resume = false
    @Flag(help: "Replace a run already in OUTPUT (without --resume or this, such a directory is refused).") var overwrite = false
    @OptionGroup var lora: LoRAOptions
    @OptionGroup var config: ConfigOptions

    func validate() throws {
        if evalData == nil && holdout >= 1 { throw ValidationError("--holdout must be below 1") }
        try Check.real("--holdout", holdout, 0, 1)
        try Check.real("--epochs", epochs, 0, 1000, openLow: true)
        try Check.int("--steps", steps, min: 1)
        try Check.threads(threads)
        if lora.rank != nil && initFrom == nil && !resume {
            throw ValidationError("--lora-rank trains adapters on a pretrained trunk: pass --init DIR")
        }
    }

    var settings: RewardSettings {
        get throws {
            let cfg = try Presets.trainConfig(preset, seed: seed, threads: threads)
            var s = RewardSettings(config: cfg, trainData: trainData, output: output)
            s.initFrom = initFrom; s.evalData = evalData; s.holdout = holdout; s.margins = margin
            s.head = RewardHead(pooling: pooling, initialization: scoreInit)
            s.epochs = epochs; s.steps = steps; s.resume = resume; s.overwrite = overwrite
            s.lora = try lora.settings
            return s
        }
    }

    var configJSON: JSONValue { get throws { try settings.json } }

    func run() throws {
        BLASBackend.prepareProcess()   // before any input is read: it may re-exec
        print(RewardTraining.summaryLine(try RewardTraining.run(try settings, log: StandardError.line)))
    }
}
