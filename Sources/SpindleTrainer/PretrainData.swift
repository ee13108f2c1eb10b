import Foundation
import SpindleShards

/// Where pretraining reads its rows: `data.train` and `data.eval` of a config, each either pretrain
/// shards (a directory from `spindle pack pretrain`) or a token-id text file (one document per line).
public struct PretrainData {
    public var train: TrainingBatchSource
    public var eval: TrainingBatchSource?
    /// The tokenizer the shards were packed with (nil for token-id text): recorded beside the checkpoint.
    public var stamp: TokenizerStamp?

    /// Opens the config's data. A model trained from scratch takes the shards' vocabulary and row
    /// length (logged when they differ from the config's: presets name a shape, the tokenizer decides
    /// the vocabulary), so `config` is updated.
    public static func open(config cfg: inout TrainConfig, resume: Bool, log: (String) -> Void) throws -> PretrainData {
        guard let trainPath = cfg.trainData else {
            throw TrainerError.config(field: "data.train", message: "no training data: set data.train in the config or pass --train-data")
        }
        var stamp: TokenizerStamp?
        let train: TrainingBatchSource
        if let shards = try openShards(trainPath, config: &cfg, resume: resume, log: log) {
            let t = shards.metadata.tokenizer
            stamp = TokenizerStamp(fingerprint: t.fingerprint, vocabSize: t.vocabSize, bosID: t.bosID, eosID: t.eosID)
            train = ShardBatchSource(shards)
        } else {
            train = try TokenTextBatchSource(path: trainPath, seqLen: cfg.seqLen)
        }
        let model = cfg.model, seqLen = cfg.seqLen, known = stamp
        let eval: TrainingBatchSource? = try cfg.evalData.map { path in
            if let shards = try PostTrainData.openIfShards(path, kind: .pretrain, model: model, stamp: known) {
                return ShardBatchSource(shards)
            }
            return try TokenTextBatchSource(path: path, seqLen: seqLen)
        }
        return PretrainData(train: train, eval: eval, stamp: stamp)
    }

    /// Pretrain shards at `path`, or nil when it is not a directory (a token-id text file).
    static func openShards(_ path: String, config cfg: inout TrainConfig, resume: Bool, log: (String) -> Void) throws -> ShardDataset? {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue else { return nil }
        let meta = try ShardDataset(directory: path, kind: .pretrain).metadata
        if meta.tokenizer.vocabSize != cfg.model.vocabSize && !resume {
            log("train pretrain: vocab_size \(meta.tokenizer.vocabSize) from the shards' tokenizer (the config said \(cfg.model.vocabSize))")
            cfg.model.vocabSize = meta.tokenizer.vocabSize
        }
        if meta.seqLen != cfg.seqLen {
            guard meta.seqLen <= cfg.model.maxSeqLen else {
                throw TrainerError.config(field: "training.seq_len", message: "\(path) holds rows of \(meta.seqLen) tokens, model.max_seq_len is \(cfg.model.maxSeqLen)")
            }
            log("train pretrain: seq_len \(meta.seqLen) from the shards (the config said \(cfg.seqLen))")
            cfg.seqLen = meta.seqLen
        }
        return try PostTrainData.open(path, kind: .pretrain, model: cfg.model, stamp: nil)
    }
}

extension Pretrain {
    /// Pretraining from a resolved config: opens its data (`PretrainData`), trains, and records the
    /// shards' tokenizer beside the checkpoint. `resume` continues from OUTPUT/checkpoint.
    public static func run(config: TrainConfig, resume: Bool, overwrite: Bool = false, log: (String) -> Void) throws -> RunSummary {
        try RunDirectory.checkFresh(config.outputDir, resume: resume, overwrite: overwrite)
        var cfg = config
        let data = try PretrainData.open(config: &cfg, resume: resume, log: log)
        let ckpt = cfg.outputDir + "/checkpoint"
        if resume && !FileManager.default.fileExists(atPath: ckpt + "/trainer_state.json") {
            throw TrainerError.io(file: ckpt, message: "--resume: no checkpoint with trainer_state.json here")
        }
        return try run(config: cfg, train: data.train, eval: data.eval, resumeFrom: resume ? ckpt : nil, stamp: data.stamp, log: log)
    }
}

/// `spindle bench sgemm`: the matrix shapes timed, square ones and this model's training GEMMs
/// (like gemm_bench_numpy.py), as (name, m, k, n).
public enum SgemmBench {
    public static func shapes(_ cfg: TrainConfig) -> [(name: String, m: Int, k: Int, n: Int)] {
        let m = cfg.model, n = cfg.batchSize * cfg.seqLen
        return [256, 512, 1024, 2048].map { ("square \($0)", $0, $0, $0) } + [
            ("x@w1 \(n)x\(m.dim)x\(m.hiddenDim)", n, m.dim, m.hiddenDim),
            ("h@w2 \(n)x\(m.hiddenDim)x\(m.dim)", n, m.hiddenDim, m.dim),
            ("dW1=x^T@dy \(m.dim)x\(n)x\(m.hiddenDim)", m.dim, n, m.hiddenDim),
            ("x@wcls \(n)x\(m.dim)x\(m.vocabSize)", n, m.dim, m.vocabSize),
        ]
    }
}
