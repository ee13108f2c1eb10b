// LoRACheckpoint.swift: adapters on disk in PEFT's format, and merging them into the base.
//
//   DIR/adapter_config.json          PEFT's LoraConfig (peft_type LORA, r, lora_alpha, target_modules, …)
//   DIR/adapter_model.safetensors    base_model.model.model.layers.{i}.self_attn.q_proj.lora_A.weight [r, in]
//                                    base_model.model.model.layers.{i}.self_attn.q_proj.lora_B.weight [out, r]
//   DIR/adapter_model.safetensors    base_model.model.score.weight [1, dim]   (a reward model's: task_type SEQ_CLS)
//   DIR/optimizer.safetensors, trainer_state.json, spindle_tokenizer.json   (Spindle's resume state)
// `PeftModel.from_pretrained(base, DIR)` reads the first two. A save is switched in whole
// (CheckpointDirectory), like every checkpoint.
import Foundation
import SpindleIO
import SpindleShards

public enum LoRACheckpoint {
    static let weightsFile = "adapter_model.safetensors"

    /// Tensors in PEFT's names and order (per slot: lora_A, lora_B) over `buffer` (weights or a moment).
    static func tensors(_ lora: LoRAAdapters, _ buffer: UnsafeMutablePointer<Float>, prefix: String = "")
        -> [(name: String, shape: [Int], data: UnsafeBufferPointer<Float>)] {
        typealias Named = (name: String, shape: [Int], data: UnsafeBufferPointer<Float>)
        let r = lora.settings.rank
        var out: [Named] = []
        for s in lora.slots {
            let name = prefix + s.peftPrefix
            let a: Named = (name + ".lora_A.weight", [r, s.inDim], UnsafeBufferPointer(start: buffer + s.a, count: r * s.inDim))
            let b: Named = (name + ".lora_B.weight", [s.outDim, r], UnsafeBufferPointer(start: buffer + s.b, count: s.outDim * r))
            out.append(a); out.append(b)
        }
        if lora.scoreOffset >= 0 {   // PEFT saves a modules_to_save copy under the module's own name
            let d = lora.count - lora.scoreOffset
            out.append((prefix + scoreTensor, [1, d], UnsafeBufferPointer(start: buffer + lora.scoreOffset, count: d)))
        }
        return out
    }

    /// The reward model's score head in a SEQ_CLS adapter file.
    static let scoreTensor = "base_model.model.score.weight"

    /// Writes the adapter (and optimiser state, trainer state, tokenizer stamp when given) as `dir`, atomically.
    public static func save(_ lora: LoRAAdapters, to dir: String, optimizer: AdamW? = nil,
                            state: TrainerState? = nil, stamp: TokenizerStamp? = nil) throws {
        let staging = try CheckpointDirectory(dir)
        let d = staging.staging
        try Safetensors.write(d + "/" + weightsFile, tensors: tensors(lora, lora.params.p))
        if let optimizer {
            try Safetensors.write(d + "/optimizer.safetensors",
                                  tensors: tensors(lora, optimizer.m.p, prefix: "exp_avg.") + tensors(lora, optimizer.v.p, prefix: "exp_avg_sq."),
                                  metadata: ["step": "\(optimizer.step)"])
        }
        if let state { try writeAtomically(Data(state.json().utf8), to: d + "/trainer_state.json") }
        if let stamp { try PostTrainData.writeStamp(stamp, to: d) }
        let config = LoRAAdapterConfig(settings: lora.settings, baseModel: lora.baseModel, scorePooling: lora.scorePooling,
                                       ropeScaling: lora.baseRoPEScaling)
        try writeAtomically(Data(config.fileText.utf8), to: d + "/adapter_config.json")
        try staging.commit()
    }

    /// Reads the adapter in `dir` for a model of shape `config` (PEFT's files or Spindle's).
    public static func loadAdapters(_ dir: String, config: LlamaConfig) throws -> LoRAAdapters {
        let ac = try LoRAAdapterConfig.load(dir)
        let path = dir + "/" + weightsFile
        guard FileManager.default.fileExists(atPath: path) else {
            throw TrainerError.io(file: path, message: "missing (PEFT's adapter_model.bin pickles are not read; save with safe_serialization)")
        }
        let lora = try LoRAAdapters(config: config, settings: ac.settings, seed: 0, scorePooling: ac.scorePooling)
        lora.baseModel = ac.baseModel
        lora.baseRoPEScaling = ac.ropeScaling
        var stored = try Safetensors.read(path)
        for t in tensors(lora, lora.params.p) {
            // PEFT names the adapter inside the file without ".default"; accept both spellings.
            let alt = t.name.replacingOccurrences(of: ".weight", with: ".default.weight")
            guard let src = stored.removeValue(forKey: t.name) ?? stored.removeValue(forKey: alt) else {
                throw TrainerError.format(file: path, message: "missing tensor \(t.name) (adapter_config.json targets \(ac.settings.targets.map(\.hfName)), the base has \(config.nLayers) layers)")
            }
            guard src.shape == t.shape else {
                throw TrainerError.format(file: path, message: "tensor \(t.name) has shape \(src.shape), expected \(t.shape)")
            }
            if let bad = src.values.firstIndex(where: { !$0.isFinite }) {
                throw TrainerError.format(file: path, message: "tensor \(t.name) holds a non-finite value at index \(bad)")
            }
            src.values.withUnsafeBufferPointer { UnsafeMutablePointer(mutating: t.data.baseAddress!).update(from: $0.baseAddress!, count: t.data.count) }
        }
        if let extra = stored.keys.sorted().first {
            throw TrainerError.format(file: path, message: "tensor \(extra) is not a LoRA weight of a Llama projection" +
                                      (ac.scorePooling == nil ? " (a reward model's score head needs task_type SEQ_CLS)" : ""))
        }
        return lora
    }

    /// The base checkpoint an adapter names (adapter_config.json's base_model_name_or_path).
    public static func baseModel(of dir: String) throws -> String {
        guard let base = try LoRAAdapterConfig.load(dir).baseModel, !base.isEmpty else {
            throw TrainerError.format(file: dir + "/adapter_config.json", message: "field 'base_model_name_or_path': missing; pass the base checkpoint explicitly")
        }
        return base
    }

    /// The base model (from `base`, else the adapter's base_model_name_or_path) with the adapter in `dir`
    /// attached. A reward model's adapter (SEQ_CLS) turns a language-model base into its trunk, as
    /// `AutoModelForSequenceClassification.from_pretrained` does; its score head comes from the adapter.
    public static func load(_ dir: String, base: String? = nil) throws -> LlamaModel {
        let ac = try LoRAAdapterConfig.load(dir)
        var model = try Checkpoint.load(try base ?? baseModel(of: dir))
        if let r = ac.ropeScaling { model = try model.reconfigured(model.config.scaled(r)) }   // as it was trained
        if let pooling = ac.scorePooling {
            model = try rewardTrunk(model, pooling: pooling)
        } else if model.layout.head < 0 {
            throw TrainerError.config(field: "adapter", message: "the base is a reward model (score head) but the adapter's task_type is CAUSAL_LM")
        }
        model.lora = try loadAdapters(dir, config: model.config)
        return model
    }

    /// Restores AdamW moments and the trainer state written by `save`.
    static func loadTrainingState(_ dir: String, into optimizer: AdamW, lora: LoRAAdapters) throws -> TrainerState {
        let path = dir + "/optimizer.safetensors"
        let stored = try Safetensors.read(path)
        for (buffer, prefix) in [(optimizer.m.p, "exp_avg."), (optimizer.v.p, "exp_avg_sq.")] {
            for t in tensors(lora, buffer, prefix: prefix) {
                guard let src = stored[t.name], src.values.count == t.data.count else {
                    throw TrainerError.format(file: path, message: "missing or mis-shaped optimiser state \(t.name)")
                }
                src.values.withUnsafeBufferPointer { UnsafeMutablePointer(mutating: t.data.baseAddress!).update(from: $0.baseAddress!, count: t.data.count) }
            }
        }
        let sp = dir + "/trainer_state.json"
        guard let json = try JSONFields.load(sp, errors: .format) else { throw TrainerError.format(file: sp, message: "missing") }
        let state = try TrainerState(json: json)
        optimizer.step = state.step
        return state
    }

    /// Folds the attached adapter into the base weights, W += s · B A (one sgemm per projection), and
    /// detaches it: the model then computes what it computed with the adapter (without dropout). A reward
    /// model's trained score head is copied over the base's.
    public static func merge(_ model: LlamaModel) {
        guard let lora = model.lora else { return }
        let r = lora.settings.rank, P = model.params.p, A = lora.params.p
        for s in lora.slots {
            let w = model.layout.layers[s.layer]
            let off = [w.wq, w.wk, w.wv, w.wo, w.w1, w.w3, w.w2][s.target.rawValue]
            BLASBackend.shared.sgemm(transA: false, transB: false, m: s.outDim, n: s.inDim, k: r, alpha: lora.settings.scaling,
                                     a: A + s.b, lda: r, b: A + s.a, ldb: s.inDim, beta: 1, c: P + off, ldc: s.inDim)
        }
        if lora.scoreOffset >= 0 {   // the trained score head replaces the base's
            (P + model.layout.score).update(from: A + lora.scoreOffset, count: model.config.dim)
        }
        model.lora = nil
    }

    /// `spindle lora merge`: base + adapter → a full HF checkpoint in `output` (refused when it exists,
    /// unless `overwrite`; written whole or not at all). The base's tokenizer stamp goes with it.
    public static func mergeCheckpoint(base: String, adapter: String, output: String, overwrite: Bool) throws -> LlamaModel {
        let fm = FileManager.default
        if fm.fileExists(atPath: output) && !overwrite {
            throw TrainerError.config(field: "--output", message: "\(output) exists: pass --overwrite to replace it")
        }
        let model = try load(adapter, base: base)
        merge(model)
        let stamp = try PostTrainData.readStamp(base) ?? PostTrainData.readStamp(adapter)
        try Checkpoint.save(model, to: output, stamp: stamp)
        return model
    }
}
