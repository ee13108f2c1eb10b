import ArgumentParser
import Foundation
import SpindleShards
import SpindleTrainer

/// `spindle train`: the embedded CPU trainer.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train Llama models on the CPU: pretraining, SFT, reward models, rejection sampling, PPO.",
        subcommands: [TrainPretrain.self, TrainSFT.self, TrainRM.self, TrainRejection.self, TrainPPO.self])
}

/// Prints a trainer error as `spindle COMMAND: message` and exits with a sysexits code
/// (64 bad config, 65 bad data or model file, 66 missing input, 74 other I/O).
func exitOnTrainerError<T>(_ command: String, _ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let e as TrainerError {
        FileHandle.standardError.write(Data("spindle \(command): \(e)\n".utf8))
        switch e {
        case .config: throw ExitCode(64)
        case .data, .format: throw ExitCode(Exit.dataError)
        case let .io(file, _): throw ExitCode(FileManager.default.fileExists(atPath: file) ? Exit.ioError : Exit.noInput)
        }
    }
}

func stderrLine(_ s: String) { FileHandle.standardError.write(Data((s + "\n").utf8)) }

/// A config path, or a preset name looked up as configs/NAME.json.
func resolveConfigPath(_ p: String) -> String {
    if FileManager.default.fileExists(atPath: p) { return p }
    let preset = "configs/\(p).json"
    return FileManager.default.fileExists(atPath: preset) ? preset : p
}

struct TrainPretrain: ParsableCommand {
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

    @Option(help: "Training config (JSON file, or a preset name from configs/).") var config: String
    @Option(help: "Token-id text file or shard directory (overrides data.train).") var trainData: String?
    @Option(help: "Held-out data for eval loss/perplexity (overrides data.eval).") var evalData: String?
    @Option(help: "Output directory (overrides output.dir).") var output: String?
    @Option(help: "Optimiser steps (overrides training.steps).") var steps: Int?
    @Option(help: "Threads (overrides training.threads).") var threads: Int?
    @Flag(help: "Continue from OUTPUT/checkpoint (weights, AdamW state, data cursor).") var resume = false
    @Option(help: "Run N timed steps on random tokens and print tokens/s as the last line.") var benchmark: Int?
    @Flag(help: "Print the effective config as JSON and exit.") var printConfig = false
    @Flag(help: "Measure sgemm GFLOP/s (square 256-2048 and this model's shapes, like gemm_bench_numpy.py) and exit.")
    var measureSgemm = false

    func run() throws {
        BLASBackend.prepareProcess()   // before any input is read: it may re-exec
        var cfg = try exitOnTrainerError("train pretrain") { try TrainConfig.load(resolveConfigPath(config)) }
        if let trainData { cfg.trainData = trainData }
        if let evalData { cfg.evalData = evalData }
        if let output { cfg.outputDir = output }
        if let steps { cfg.steps = steps }
        if let threads { cfg.threads = threads }
        try exitOnTrainerError("train pretrain") { try cfg.validate() }
        if printConfig { print(cfg.json(), terminator: ""); return }
        if measureSgemm {
            let blas = BLASBackend.shared
            blas.threads = cfg.threads
            stderrLine("blas: \(blas.summary)")
            let m = cfg.model, n = cfg.batchSize * cfg.seqLen
            let shapes = [256, 512, 1024, 2048].map { ("square \($0)", $0, $0, $0) } + [
                ("x@w1 \(n)x\(m.dim)x\(m.hiddenDim)", n, m.dim, m.hiddenDim),
                ("h@w2 \(n)x\(m.hiddenDim)x\(m.dim)", n, m.hiddenDim, m.dim),
                ("dW1=x^T@dy \(m.dim)x\(n)x\(m.hiddenDim)", m.dim, n, m.hiddenDim),
                ("x@wcls \(n)x\(m.dim)x\(m.vocabSize)", n, m.dim, m.vocabSize),
            ]
            for (name, mm, k, nn) in shapes {
                print(String(format: "threads=%d %@: %.1f GFLOP/s", cfg.threads, name, blas.measureSgemm(m: mm, k: k, n: nn, reps: 5)))
            }
            return
        }
        if let n = benchmark {
            guard n > 0 else { throw ValidationError("--benchmark needs a positive number of steps") }
            let lines = try exitOnTrainerError("train pretrain") { try Pretrain.benchmark(config: cfg, steps: n, log: stderrLine) }
            for l in lines { print(l) }
            return
        }
        guard let trainPath = cfg.trainData else {
            throw ValidationError("no training data: set data.train in the config or pass --train-data")
        }
        let summary = try exitOnTrainerError("train pretrain") { () -> RunSummary in
            var finalCfg = cfg
            var stamp: TokenizerStamp?
            let train: TrainingBatchSource
            if let shards = try openShards(trainPath, config: &finalCfg) {
                let t = shards.metadata.tokenizer
                stamp = TokenizerStamp(fingerprint: t.fingerprint, vocabSize: t.vocabSize, bosID: t.bosID, eosID: t.eosID)
                train = ShardBatchSource(shards)
            } else {
                train = try TokenTextBatchSource(path: trainPath, seqLen: finalCfg.seqLen)
            }
            let eval: TrainingBatchSource? = try finalCfg.evalData.map { path in
                if let shards = try PostTrainData.openIfShards(path, kind: .pretrain, model: finalCfg.model, stamp: stamp) {
                    return ShardBatchSource(shards)
                }
                return try TokenTextBatchSource(path: path, seqLen: finalCfg.seqLen)
            }
            defer { if let stamp { try? PostTrainData.writeStamp(stamp, to: finalCfg.outputDir + "/checkpoint") } }
            let ckpt = finalCfg.outputDir + "/checkpoint"
            if resume && !FileManager.default.fileExists(atPath: ckpt + "/trainer_state.json") {
                throw TrainerError.io(file: ckpt, message: "--resume: no checkpoint with trainer_state.json here")
            }
            return try Pretrain.run(config: finalCfg, train: train, eval: eval, resumeFrom: resume ? ckpt : nil, log: stderrLine)
        }
        print(String(format: "steps %d  final train loss %.4f%@  %.0f tokens/s", summary.steps, summary.finalLoss,
                     summary.evalLoss.map { String(format: "  eval loss %.4f", $0) } ?? "", summary.tokensPerSecond))
    }

    /// Pretrain shards (a directory from `spindle pack pretrain`), or nil for a token-id text file.
    /// A model trained from scratch takes the shards' vocabulary and row length, logged when they
    /// differ from the config's (presets name a shape; the tokenizer decides the vocabulary).
    func openShards(_ path: String, config cfg: inout TrainConfig) throws -> ShardDataset? {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue else { return nil }
        let meta = try ShardDataset(directory: path, kind: .pretrain).metadata
        if meta.tokenizer.vocabSize != cfg.model.vocabSize && !resume {
            stderrLine("train pretrain: vocab_size \(meta.tokenizer.vocabSize) from the shards' tokenizer (the config said \(cfg.model.vocabSize))")
            cfg.model.vocabSize = meta.tokenizer.vocabSize
        }
        if meta.seqLen != cfg.seqLen {
            guard meta.seqLen <= cfg.model.maxSeqLen else {
                throw TrainerError.config(field: "training.seq_len", message: "\(path) holds rows of \(meta.seqLen) tokens, model.max_seq_len is \(cfg.model.maxSeqLen)")
            }
            stderrLine("train pretrain: seq_len \(meta.seqLen) from the shards (the config said \(cfg.seqLen))")
            cfg.seqLen = meta.seqLen
        }
        return try PostTrainData.open(path, kind: .pretrain, model: cfg.model, stamp: nil)
    }
}
