// LoRAReward.swift: LoRA on a reward model, as PEFT does it with task_type SEQ_CLS. The trunk is
// frozen; adapters train on its projections and the score head w [dim] trains whole beside them
// (PEFT's modules_to_save = ["classifier", "score"]), all in one flat buffer (LoRAAdapters):
//
//   r(x) = pool_i( xnF_i(x; W + s·B A) · w )      trainable: every A, B and w;   AdamW state 8·(Σ r·(in+out) + dim) bytes
//
// The checkpoint is a PEFT adapter directory: adapter_config.json (task_type SEQ_CLS) and
// adapter_model.safetensors with the adapters' names plus `base_model.model.score.weight` [1, dim].
// Its base (base_model_name_or_path) is the --init checkpoint: a language model, whose trunk takes
// the score head (as AutoModelForSequenceClassification.from_pretrained does), or a reward model.
import Foundation
import SpindleIO

extension LlamaConfig {
    /// The shape of the reward model built on this model's trunk: no LM head (so nothing tied), a score head.
    func rewardTrunk(pooling: ScorePooling) -> LlamaConfig {
        var c = self
        c.scoreHead = true
        c.tieEmbeddings = false
        c.scorePooling = pooling
        return c
    }
}

extension LlamaModel {
    /// The score head's weights and gradient: the adapters' copy while a reward model's adapters are attached.
    var scoreWeights: (w: UnsafeMutablePointer<Float>, dw: UnsafeMutablePointer<Float>) {
        if let lora, lora.scoreOffset >= 0 { return (lora.params.p + lora.scoreOffset, lora.grads.p + lora.scoreOffset) }
        return (params.p + layout.score, grads.p + layout.score)
    }
}

extension LoRACheckpoint {
    /// `src` as the trunk of a reward model pooling as `pooling`: itself when it is one already, else its
    /// weights (every tensor but the LM head) in a model with a zero score head.
    static func rewardTrunk(_ src: LlamaModel, pooling: ScorePooling) throws -> LlamaModel {
        if src.layout.score >= 0 && src.config.scorePooling == pooling { return src }
        let rm = try LlamaModel(config: src.config.rewardTrunk(pooling: pooling), seed: 0, randomWeights: false)
        for t in rm.layout.tensors {
            if let from = src.layout.tensor(named: t.name) {
                (rm.params.p + t.offset).update(from: src.params.p + from.offset, count: t.count)
            } else {
                (rm.params.p + t.offset).update(repeating: 0, count: t.count)
            }
        }
        rm.parallel = src.parallel
        return rm
    }

    /// Attaches fresh adapters (A from `seed`, B zero) to the reward model `model`, with its current score
    /// head copied in as the trainable one; `base` is the checkpoint the adapter names.
    static func attachRewardAdapters(_ model: LlamaModel, settings: LoRASettings, seed: UInt64, base: String) throws {
        precondition(model.layout.score >= 0, "reward adapters need a score head")
        let lora = try LoRAAdapters(config: model.config, settings: settings, seed: seed, scorePooling: model.config.scorePooling)
        (lora.params.p + lora.scoreOffset).update(from: model.params.p + model.layout.score, count: model.config.dim)
        lora.baseModel = URL(fileURLWithPath: base).standardizedFileURL.path
        model.lora = lora
    }

    /// The dropout masks of micro-batch `group` of optimiser step `step` (a resumed run draws the same).
    static func dropoutSeed(seed: UInt64, step: Int, group: Int) -> UInt64 {
        var r = SeededRandom(seed: seed ^ UInt64(step) &* 0x9E37_79B9_7F4A_7C15, stream: "lora-dropout-rm-\(group)")
        return r.next()
    }
}

extension RewardTraining {
    /// The model, its optimiser and the trainer state a reward-model run starts from: resumed from `ckpt`
    /// (a full reward model or a SEQ_CLS adapter), or `initFrom` (a language model gets a new score head),
    /// or the preset's shape from its initialisation; with `lora`, adapters and the score head train on
    /// the frozen trunk, and AdamW keeps moments for them only.
    static func startModel(config: TrainConfig, initFrom: String?, head: RewardHead, resume: Bool, ckpt: String,
                           lora: LoRASettings?, parallel: Parallel, log: (String) -> Void) throws -> (LlamaModel, AdamW, TrainerState) {
        if resume {
            let adapter = LoRAAdapterConfig.isAdapter(ckpt)
            let model = try adapter ? LoRACheckpoint.load(ckpt) : Checkpoint.load(ckpt)
            guard model.layout.score >= 0 else { throw TrainerError.format(file: ckpt, message: "not a reward model") }
            let optimizer = model.makeOptimizer(config.adamw, parallel: parallel)
            let state = try model.lora.map { try LoRACheckpoint.loadTrainingState(ckpt, into: optimizer, lora: $0) }
                ?? Checkpoint.loadTrainingState(ckpt, into: optimizer, layout: model.layout)
            if let a = model.lora { log("rm: resuming adapters on \(a.baseModel ?? "?"); " + (try LoRACheckpoint.summary(a.settings, model: model.config))) }
            return (model, optimizer, state)
        }
        let model: LlamaModel
        if let initFrom {
            if lora != nil && LoRAAdapterConfig.isAdapter(initFrom) {
                throw TrainerError.config(field: "init", message: "\(initFrom) is a LoRA adapter: merge it first (spindle lora merge) to train reward adapters on it")
            }
            let src = try Checkpoint.load(initFrom)
            model = src.layout.score >= 0 ? src : try RewardModel.fromLanguageModel(src, seed: config.seed, head: head)
            log("rm: trunk from \(initFrom)\(src.layout.score >= 0 ? " (a reward model)" : " with a new score head (\(head.initialization.rawValue) init)"), pooling \(model.config.scorePooling.rawValue)")
        } else {
            guard lora == nil else {
                throw TrainerError.config(field: "init", message: "LoRA trains adapters on a pretrained trunk: pass --init DIR")
            }
            model = try RewardModel.untrained(config.model, seed: config.seed, head: head)
            log("rm: a new \(model.config.dim)-wide, \(model.config.nLayers)-layer model from its initialisation (no --init), pooling \(head.pooling.rawValue)")
        }
        if let lora, let initFrom {
            try LoRACheckpoint.attachRewardAdapters(model, settings: lora, seed: config.seed, base: initFrom)
            log("rm: the trunk is frozen; " + (try LoRACheckpoint.summary(lora, model: model.config)))
        }
        var state = TrainerState()
        state.rngState = config.seed
        return (model, model.makeOptimizer(config.adamw, parallel: parallel), state)
    }
}
