// RoPEContext.swift: stretching a trained model's context with a RoPE scaling (position interpolation
// and its relatives), and continuing pretraining from a checkpoint (`train pretrain --init`), which is
// how a scaled model is fine-tuned at its new length.
import Foundation
import SpindleIO
import SpindleShards

extension LlamaConfig {
    /// This shape with `scaling` applied to its trained length L = maxSeqLen: the context becomes
    /// ⌊factor · L⌋, and dynamic, yarn and llama3 record L as their original length.
    public func scaled(_ scaling: RoPEScaling) throws -> LlamaConfig {
        if let s = ropeScaling {
            throw TrainerError.config(field: "--rope-scaling", message: "the model already has \(s.argument) scaling; apply one scaling to an unscaled model")
        }
        var s = scaling, c = self
        s.originalMaxPositions = s.kind == .linear ? nil : maxSeqLen
        c.ropeScaling = s
        c.maxSeqLen = Int((Double(s.factor) * Double(maxSeqLen)).rounded(.down))
        try c.validate()
        return c
    }
}

extension LlamaModel {
    /// The same weights under `config`, which may differ only in what has no weights (rotary scaling,
    /// context length, ids).
    public func reconfigured(_ config: LlamaConfig) throws -> LlamaModel {
        let m = try LlamaModel(config: config, seed: 0, randomWeights: false)
        guard m.layout.tensors.map(\.name) == layout.tensors.map(\.name), m.layout.tensors.map(\.shape) == layout.tensors.map(\.shape) else {
            throw TrainerError.config(field: "model", message: "the new configuration changes the weights' shapes")
        }
        m.params.p.update(from: params.p, count: layout.totalCount)
        m.parallel = parallel
        return m
    }
}

extension Pretrain {
    /// Continued pretraining: the run starts from `initFrom`'s weights (with `ropeScaling` applied when
    /// given) as a step-0 checkpoint with fresh AdamW moments, then trains like any run (`resume`
    /// continues OUTPUT/checkpoint; the shape then comes from there). Without `initFrom`, a run from
    /// scratch whose preset shape gets `ropeScaling`.
    public static func run(config: TrainConfig, initFrom: String?, ropeScaling: RoPEScaling?, resume: Bool, overwrite: Bool = false,
                           lora: LoRASettings? = nil, log: (String) -> Void) throws -> RunSummary {
        var cfg = config
        guard let initFrom else {
            if lora != nil && !resume { throw TrainerError.config(field: "init", message: "LoRA trains adapters on a pretrained base: pass --init DIR") }
            if let s = ropeScaling { cfg.model = try cfg.model.scaled(s) }
            return try run(config: cfg, resume: resume, overwrite: overwrite, log: log)
        }
        try RunDirectory.checkFresh(cfg.outputDir, resume: resume, overwrite: overwrite)
        let ckpt = cfg.outputDir + "/checkpoint"
        if resume && !FileManager.default.fileExists(atPath: ckpt + "/trainer_state.json") {
            throw TrainerError.io(file: ckpt, message: "--resume: no checkpoint with trainer_state.json here")
        }
        cfg.model = try LoRACheckpoint.modelConfig(resume ? ckpt : initFrom)
        if !resume, let s = ropeScaling { cfg.model = try cfg.model.scaled(s) }
        let data = try PretrainData.open(config: &cfg, resume: true, log: log)   // the vocabulary is the checkpoint's
        let known = try PostTrainData.readStamp(resume ? ckpt : initFrom)
        if let k = known, let s = data.stamp, k.fingerprint != s.fingerprint {
            throw TrainerError.config(field: "tokenizer", message: "\(cfg.trainData ?? "") was packed with tokenizer \(s.fingerprint.prefix(16))…, \(initFrom) was trained with \(k.fingerprint.prefix(16))…")
        }
        let stamp = data.stamp ?? known
        if !resume {
            let lock = try RunDirectory.claim(cfg.outputDir)
            if let lora {   // adapters on the frozen base (LoRARun.swift)
                _ = try LoRACheckpoint.startRun(initFrom: initFrom, settings: lora, config: cfg, checkpoint: ckpt, stamp: stamp)
                try? FileManager.default.removeItem(atPath: cfg.outputDir + "/metrics.jsonl")
                withExtendedLifetime(lock) {}
                log("pretrain: starting from \(initFrom) (frozen), " + (try LoRACheckpoint.summary(lora, model: cfg.model)))
                return try run(config: cfg, train: data.train, eval: data.eval, resumeFrom: ckpt, stamp: stamp, log: log)
            }
            var model = try Checkpoint.load(initFrom)
            guard model.layout.head >= 0 else {
                throw TrainerError.config(field: "init", message: "\(initFrom) is a reward model (score head), not a language model")
            }
            if model.config != cfg.model { model = try model.reconfigured(cfg.model) }
            var state = TrainerState()
            state.rngState = cfg.seed
            try Checkpoint.save(model, to: ckpt, optimizer: AdamW(layout: model.layout, settings: cfg.adamw, parallel: model.parallel),
                                state: state, stamp: stamp)
            try? FileManager.default.removeItem(atPath: cfg.outputDir + "/metrics.jsonl")   // a new run
            withExtendedLifetime(lock) {}
            log("pretrain: starting from \(initFrom)\(cfg.model.ropeScaling.map { ", rope scaling \($0.argument), context \(cfg.model.maxSeqLen)" } ?? "")")
        }
        return try run(config: cfg, train: data.train, eval: data.eval, resumeFrom: ckpt, stamp: stamp, log: log)
    }
}
