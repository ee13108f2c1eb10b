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
        """)

    @Option(name: .customLong("config"), help: "Training config (JSON file, or a preset name from configs/).") var preset: String
    @Option(help: "Token-id text file or shard directory (overrides data.train).") var trainData: String?
    @Option(help: "Held-out data for eval loss/perplexity (overrides data.eval).") var evalData: String?
    @Option(help: "Output directory (overrides output.dir).") var output: String?
    @Option(help: "Optimiser steps (overrides training.steps).") var steps: Int?
    @Option(help: "Threads (overrides training.threads).") var threads: Int?
    @Flag(help: "Continue from OUTPUT/checkpoint (weights, AdamW state, data cursor).") var resume = false
    @Flag(help: "Replace a run already in OUTPUT (without --resume or this, such a directory is refused).") var overwrite = false
    @Option(help: "Run N timed steps on random tokens and print tokens/s as the last line.") var benchmark: Int?
    @OptionGroup var config: ConfigOptions

    func validate() throws {
        try Check.int("--steps", steps, min: 1)
        try Check.int("--benchmark", benchmark, min: 1, max: 100_000)
        try Check.threads(threads)
    }

    /// The preset with the command line's overrides, validated.
    var resolved: TrainConfig {
        get throws {
            var cfg = try TrainConfig.load(Presets.resolve(preset))
            if let trainData { cfg.trainData = trainData }
            if let evalData { cfg.evalData = evalData }
            if let output { cfg.outputDir = output }
            if let steps { cfg.steps = steps }
            if let threads { cfg.threads = threads }
            try cfg.validate()
            return cfg
        }
    }

    var configJSON: JSONValue { get throws { try JSONValue.parse(Array(try resolved.json().utf8)) } }

    func run() throws {
        BLASBackend.prepareProcess()   // before any input is read: it may re-exec
        let cfg = try resolved
        if let n = benchmark {
            guard n > 0 else { throw ValidationError("--benchmark needs a positive number of steps") }
            for l in try Pretrain.benchmark(config: cfg, steps: n, log: StandardError.line) { print(l) }
            return
        }
        let summary = try Pretrain.run(config: cfg, resume: resume, overwrite: overwrite, log: StandardError.line)
        print(String(format: "steps %d  final train loss %.4f%@  %.0f tokens/s", summary.steps, summary.finalLoss,
                     summary.evalLoss.map { String(format: "  eval loss %.4f", $0) } ?? "", summary.tokensPerSecond))
    }
}
