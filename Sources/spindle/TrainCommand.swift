import ArgumentParser
import Foundation
import SpindleIO
import SpindleTrainer

/// `spindle train`: the embedded CPU trainer.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train Llama models on the CPU: pretraining, SFT, reward models, rejection sampling, PPO, DPO.",
        subcommands: [TrainPretrain.self, TrainSFT.self, TrainRM.self, TrainRejection.self, TrainPPO.self, TrainDPO.self])
}

struct TrainPretrain: Configurable {
    static let configuration = CommandConfiguration(
        commandName: "pretrain",
        abstract: "Pretrain a Llama model from token rows; write an HF-layout checkpoint, metrics and a report.",
        discussion: """
        The config (configs/nano.json, stories15M, stories42M, llama2-7b; schema in schemas/trainer-config.schema.json) gives the model shape, optimiser, eval and data. Training data is a token-id text file: one document per line, ids separated by spaces (as `spindle tokenizer encode` writes; .zst/.gz read transparently); documents are packed into rows with attention and positions restarting at each document. MDS shard directories from `spindle pack pretrain` plug in through the same TrainingBatchSource protocol.

        The output directory (output.dir) receives checkpoint/ (config.json + model.safetensors, loadable by transformers' LlamaForCausalLM, plus optimizer.safetensors and trainer_state.json for --resume), metrics.jsonl and report.html. Progress goes to stderr.

        examples:
          spindle train pretrain --config nano --train-data ids.txt --steps 200
          spindle train pretrain --config stories15M --benchmark 5
          spindle train pretrain --config nano --print-config
          spindle train pretrain --config nano --init runs/pretrain/checkpoint --rope-scaling linear:4 --seq-len 1024 \
            --train-data long.ids --steps 200 -o runs/pi     # position interpolation: the context 4x the trained length

        --init continues pretraining from a checkpoint (its shape and vocabulary; fresh AdamW moments). --rope-scaling
        TYPE:FACTOR (linear, dynamic, yarn, llama3) stretches the model's context to FACTOR times the length it was
        trained at, with the rotary scaling transformers reads from config.json (docs/ADAPT.md).
        """)

    @Option(name: .customLong("config"), help: "Training config (JSON file, or a preset name from configs/).") var preset: String
    @Option(help: "Token-id text file or shard directory (overrides data.train).") var trainData: String?
    @Option(help: "Held-out data for eval loss/perplexity (overrides data.eval).") var evalData: String?
    @Option(name: [.short, .long], help: "Output directory (overrides output.dir).") var output: String?
    @Option(name: .customLong("init"), help: "Checkpoint to continue pretraining from (its shape replaces the config's model section).") var initFrom: String?
    @Option(help: "Rotary scaling TYPE:FACTOR (linear:4, dynamic:2, yarn:4, llama3:8): context FACTOR x the trained length.") var ropeScaling: String?
    @Option(help: "Row length for token-id text data (overrides training.seq_len; shards set their own).") var seqLen: Int?
    @Option(help: "Optimiser steps (overrides training.steps).") var steps: Int?
    @Option(help: "Threads (overrides training.threads).") var threads: Int?
    @Flag(help: "Continue from OUTPUT/checkpoint (weights, AdamW state, data cursor).") var resume = false
    @Flag(help: "Replace a run already in OUTPUT (without --resume or this, such a directory is refused).") var overwrite = false
    @Option(help: "Run N timed steps on random tokens and print tokens/s as the last line.") var benchmark: Int?
    @OptionGroup var lora: LoRAOptions
    @OptionGroup var config: ConfigOptions

    func validate() throws {
        try Check.int("--steps", steps, min: 1)
        try Check.int("--seq-len", seqLen, min: 2, max: 1 << 20)
        try checkRoPEScaling(ropeScaling)
        try Check.int("--benchmark", benchmark, min: 1, max: 100_000)
        try Check.threads(threads)
    }

    /// The preset with the command line's overrides, validated.
    var resolved: TrainConfig {
        get throws {
            var cfg = try Presets.load(preset)
            if let trainData { cfg.trainData = trainData }
            if let evalData { cfg.evalData = evalData }
            if let output { cfg.outputDir = output }
            if let steps { cfg.steps = steps }
            if let threads { cfg.threads = threads }
            if let seqLen { cfg.seqLen = seqLen }
            if initFrom == nil, let s = try scaling { cfg.model = try cfg.model.scaled(s) }
            // With --init the checkpoint's shape (scaled at run time) replaces the preset's model section.
            if initFrom != nil { cfg.model.maxSeqLen = max(cfg.model.maxSeqLen, cfg.seqLen) }
            try cfg.validate()
            return cfg
        }
    }

    var scaling: RoPEScaling? { get throws { try ropeScaling.map { try RoPEScaling(argument: $0) } } }

    var configJSON: JSONValue {
        get throws {
            let cfg = try JSONValue.parse(Array(try resolved.json().utf8))
            let lora = try lora.settings
            guard initFrom != nil || ropeScaling != nil || lora != nil else { return cfg }
            return .object((cfg.members ?? []) + [("init", initFrom.map { .string($0) } ?? .null),
                                                   ("rope_scaling", ropeScaling.map { .string($0) } ?? .null),
                                                   ("lora", lora?.json ?? .null)])
        }
    }

    func run() throws {
        BLASBackend.prepareProcess()   // before any input is read: it may re-exec
        let cfg = try resolved
        if let n = benchmark {
            guard n > 0 else { throw ValidationError("--benchmark needs a positive number of steps") }
            for l in try Pretrain.benchmark(config: cfg, steps: n, lora: try lora.settings, log: StandardError.line) { print(l) }
            return
        }
        if lora.rank != nil && initFrom == nil {
            throw ValidationError("--lora-rank trains adapters on a pretrained base: pass --init DIR (on --resume too)")
        }
        let summary = initFrom == nil
            ? try Pretrain.run(config: cfg, resume: resume, overwrite: overwrite, log: StandardError.line)
            : try Pretrain.run(config: cfg, initFrom: initFrom, ropeScaling: try scaling, resume: resume, overwrite: overwrite,
                               lora: try lora.settings, log: StandardError.line)
        print(String(format: "steps %d  final train loss %.4f%@  %.0f tokens/s", summary.steps, summary.finalLoss,
                     summary.evalLoss.map { String(format: "  eval loss %.4f", $0) } ?? "", summary.tokensPerSecond))
    }
}
