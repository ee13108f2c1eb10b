import ArgumentParser
import Foundation
import SpindleIO
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
          spindle train sft --init runs/pretrain/checkpoint --train-data shards/sft -o runs/sft-lora --lora-rank 8 --lora-targets q,v
        With --lora-rank, only LoRA adapters train (the base stays frozen) and checkpoint/ is a PEFT adapter
        directory (adapter_config.json + adapter_model.safetensors) naming the base; `spindle lora merge`
        folds it into a full checkpoint.
        """)

    @Option(name: .customLong("config"), help: "Training config (JSON file or preset name from configs/).") var preset = "sft-nano"
    @Option(name: .customLong("init"), help: "Pretrained checkpoint directory to start from.") var initFrom: String?
    @Option(help: "SFT shard directory (spindle pack sft).") var trainData: String
    @Option(help: "Held-out SFT shards for eval loss.") var evalData: String?
    @Option(name: [.short, .long], help: "Output directory.") var output: String
    @Option(help: "Passes over the training rows (sets the step count; Llama 2: 2).") var epochs: Double = 2
    @Option(help: "Optimiser steps (overrides --epochs).") var steps: Int?
    @Option(help: "Rotary scaling TYPE:FACTOR applied to --init (linear:4: position interpolation to 4x its context).") var ropeScaling: String?
    @Option(help: "Seed.") var seed: UInt64?
    @Option(help: "Threads.") var threads: Int?
    @Flag(help: "Continue from OUTPUT/checkpoint.") var resume = false
    @Flag(help: "Replace a run already in OUTPUT (without --resume or this, such a directory is refused).") var overwrite = false
    @OptionGroup var lora: LoRAOptions
    @OptionGroup var config: ConfigOptions

    func validate() throws {
        try Check.real("--epochs", epochs, 0, 1000, openLow: true)
        try Check.int("--steps", steps, min: 1)
        try Check.threads(threads)
        try checkRoPEScaling(ropeScaling)
    }

    var settings: SFTSettings {
        get throws {
            let cfg = try Presets.trainConfig(preset, seed: seed, threads: threads)
            var s = SFTSettings(config: cfg, trainData: trainData, output: output)
            s.initFrom = initFrom; s.evalData = evalData; s.epochs = epochs; s.steps = steps; s.resume = resume; s.overwrite = overwrite
            s.ropeScaling = try ropeScaling.map { try RoPEScaling(argument: $0) }
            s.lora = try lora.settings
            return s
        }
    }

    var configJSON: JSONValue { get throws { try settings.json } }

    func run() throws {
        BLASBackend.prepareProcess()   // before any input is read: it may re-exec
        print(SFT.summaryLine(try SFT.run(try settings, log: StandardError.line)))
    }
}
