// LoRARun.swift: how a training run starts and resumes with adapters. A LoRA run's checkpoint/ is an
// adapter directory (LoRACheckpoint.swift) naming its base; the base itself is never copied or changed.
import Foundation
import SpindleIO
import SpindleShards

extension LoRACheckpoint {
    /// The model shape of `dir`: a full checkpoint's config.json, or for an adapter, its base's (a reward
    /// model's adapter: the base's trunk with a score head, as `load` builds it).
    public static func modelConfig(_ dir: String) throws -> LlamaConfig {
        guard LoRAAdapterConfig.isAdapter(dir) else { return try Checkpoint.loadConfig(dir) }
        let base = try baseModel(of: dir)
        guard !LoRAAdapterConfig.isAdapter(base) else {
            throw TrainerError.format(file: dir + "/adapter_config.json", message: "field 'base_model_name_or_path': \(base) is an adapter itself; merge it first (spindle lora merge)")
        }
        let ac = try LoRAAdapterConfig.load(dir)
        var c = try Checkpoint.loadConfig(base)
        if let r = ac.ropeScaling { c = try c.scaled(r) }
        if let pooling = ac.scorePooling { c = c.rewardTrunk(pooling: pooling) }
        return c
    }

    /// Writes the step-0 checkpoint of a LoRA run: `initFrom` as the frozen base (named by its absolute
    /// path), fresh adapters drawn from the run's seed, fresh AdamW moments for the adapters only. A
    /// `--rope-scaling` in `config.model` is put on the base in memory and recorded in the adapter.
    static func startRun(initFrom: String, settings: LoRASettings, config: TrainConfig, checkpoint: String,
                         stamp: TokenizerStamp?) throws -> LlamaModel {
        var model = try Checkpoint.load(initFrom)
        guard model.layout.head >= 0 else {
            throw TrainerError.config(field: "init", message: "\(initFrom) is a reward model (score head), not a language model")
        }
        var scaling: RoPEScaling?
        if model.config != config.model, let r = config.model.ropeScaling, model.config.ropeScaling == nil,
           (try? model.config.scaled(r)) == config.model {
            model = try model.reconfigured(config.model)
            scaling = r
        }
        guard model.config == config.model else {
            throw TrainerError.config(field: "lora", message: "the run's model shape differs from --init \(initFrom)'s; LoRA trains on the base as it is (a --rope-scaling aside)")
        }
        let lora = try LoRAAdapters(config: model.config, settings: settings, seed: config.seed)
        lora.baseRoPEScaling = scaling
        lora.baseModel = URL(fileURLWithPath: initFrom).standardizedFileURL.path
        model.lora = lora
        var state = TrainerState()
        state.rngState = config.seed
        try save(lora, to: checkpoint, optimizer: model.makeOptimizer(config.adamw, parallel: model.parallel), state: state, stamp: stamp)
        return model
    }

    /// A line for the run's log: what trains and what it costs.
    /// (A reward model's score head trains too, and counts.)
    static func summary(_ lora: LoRASettings, model: LlamaConfig) throws -> String {
        let a = try LoRAAdapters(config: model, settings: lora, seed: 0, scorePooling: model.scoreHead ? model.scorePooling : nil)
        let frac = Double(a.count) / Double(model.parameterCount) * 100
        return String(format: "lora: rank %d, alpha %g, dropout %g on %@%@: %d trainable parameters (%.3f%% of %d); AdamW state %d bytes (full fine-tuning: %d)",
                      lora.rank, Double(lora.alpha), Double(lora.dropout), lora.targets.map(\.hfName).joined(separator: ","),
                      model.scoreHead ? " + the score head" : "", a.count, frac, model.parameterCount, 8 * a.count, 8 * model.parameterCount)
    }
}

/// What an optimiser updates: the whole model, or only its LoRA adapters when they are attached.
struct TrainableWeights {
    let params: UnsafeMutablePointer<Float>
    let grads: UnsafeMutablePointer<Float>
    let count: Int
}

extension LlamaModel {
    var trainable: TrainableWeights {
        if let lora { return TrainableWeights(params: lora.params.p, grads: lora.grads.p, count: lora.count) }
        return TrainableWeights(params: params.p, grads: grads.p, count: layout.totalCount)
    }

    /// Zeroes the gradients of what trains (the adapters only, while they are attached).
    func zeroTrainableGradients() {
        if let lora { lora.zeroGradients() } else { zeroGradients() }
    }

    /// AdamW state for what trains: every weight, or the adapters only.
    func makeOptimizer(_ settings: AdamWSettings, parallel: Parallel) -> AdamW {
        guard let lora else { return AdamW(layout: layout, settings: settings, parallel: parallel) }
        return AdamW(count: lora.count, decaying: lora.ranges, plain: [], settings: settings, parallel: parallel)
    }

    /// Saves a run's checkpoint: the full model, or the adapter directory (PEFT format) while adapters train.
    func saveRun(to dir: String, optimizer: AdamW, state: TrainerState, stamp: TokenizerStamp?) throws {
        if let lora {
            try LoRACheckpoint.save(lora, to: dir, optimizer: optimizer, state: state, stamp: stamp)
        } else {
            try Checkpoint.save(self, to: dir, optimizer: optimizer, state: state, stamp: stamp)
        }
    }
}

extension LoRACheckpoint {
    /// A run's model and optimiser at its start: resumed from `checkpoint` (full or adapter), or `initFrom`
    /// with fresh adapters when `lora` is given (fresh moments either way).
    static func runModel(initFrom: String, lora: LoRASettings?, resume: Bool, checkpoint: String, config: TrainConfig,
                         parallel: Parallel) throws -> (LlamaModel, AdamW, TrainerState?) {
        let adapterRun = resume ? LoRAAdapterConfig.isAdapter(checkpoint) : lora != nil
        let model = try adapterRun && resume ? load(checkpoint) : Checkpoint.load(resume ? checkpoint : initFrom)
        guard model.layout.head >= 0 else {
            throw TrainerError.config(field: "init", message: "\(resume ? checkpoint : initFrom) is a reward model (score head), not a language model")
        }
        model.parallel = parallel
        if !resume, let lora {
            let a = try LoRAAdapters(config: model.config, settings: lora, seed: config.seed)
            a.baseModel = URL(fileURLWithPath: initFrom).standardizedFileURL.path
            model.lora = a
        }
        let optimizer = model.makeOptimizer(config.adamw, parallel: parallel)
        guard resume else { return (model, optimizer, nil) }
        let state = try model.lora.map { try loadTrainingState(checkpoint, into: optimizer, lora: $0) }
            ?? Checkpoint.loadTrainingState(checkpoint, into: optimizer, layout: model.layout)
        return (model, optimizer, state)
    }
}
