// Checkpoint.swift: Hugging Face layout — DIR/config.json + DIR/model.safetensors (HF names, fp32; a
// tied head is not stored, like transformers) — plus, for exact resume, DIR/optimizer.safetensors
// (AdamW moments, `exp_avg.<name>` / `exp_avg_sq.<name>`) and DIR/trainer_state.json (steps, data
// cursor, rng state). transformers' LlamaForCausalLM.from_pretrained(DIR) loads the first two.
import Foundation
import SpindleIO
import SpindleShards

/// Training progress saved beside the weights.
public struct TrainerState: Equatable, Sendable {
    public var step: Int = 0            // optimiser steps completed
    public var cursor: Int = 0          // rows consumed from the training source
    public var tokensSeen: Int = 0
    public var rngState: UInt64 = 0
    public init() {}

    var jsonValue: JSONValue {
        .object([("step", .int(step)), ("cursor", .int(cursor)), ("tokens_seen", .int(tokensSeen)),
                 ("rng_state", .string(String(rngState)))])
    }

    func json() -> String { jsonValue.fileText(.memberPerLine) }

    init(json f: JSONFields) throws {
        step = try f.required("step", f.int)
        cursor = try f.required("cursor", f.int)
        guard let rv = UInt64(try f.required("rng_state", f.string)) else {
            throw f.fail("rng_state", "must be a decimal 64-bit integer in a string")
        }
        rngState = rv
        tokensSeen = try f.int("tokens_seen") ?? 0
    }
}

public enum Checkpoint {
    /// Writes config.json and model.safetensors (and optimizer + state, and the tokenizer stamp, when
    /// given) as the checkpoint `dir`, atomically: a kill during the save leaves the previous checkpoint.
    /// `extraFiles` (name -> bytes) switch in with the weights (a run's own state, e.g. rejection sampling's kept set).
    public static func save(_ model: LlamaModel, to dir: String, optimizer: AdamW? = nil, state: TrainerState? = nil,
                            stamp: TokenizerStamp? = nil, extraFiles: [String: Data] = [:]) throws {
        let staging = try CheckpointDirectory(dir)
        try write(model, into: staging.staging, optimizer: optimizer, state: state, stamp: stamp)
        for (name, bytes) in extraFiles.sorted(by: { $0.key < $1.key }) {
            try writeAtomically(bytes, to: staging.staging + "/" + name)
        }
        try staging.commit()
    }

    /// Several models saved as one checkpoint (`dir/NAME` each, e.g. PPO's policy and value), switched in together.
    public static func save(_ parts: [(name: String, model: LlamaModel, optimizer: AdamW?)], to dir: String,
                            state: TrainerState?, stamp: TokenizerStamp?) throws {
        let staging = try CheckpointDirectory(dir)
        for p in parts {
            let sub = staging.staging + "/" + p.name
            try FileManager.default.createDirectory(atPath: sub, withIntermediateDirectories: false)
            try write(p.model, into: sub, optimizer: p.optimizer, state: state, stamp: stamp)
        }
        try staging.commit()
    }

    /// The files of one model's checkpoint, written into the (staging) directory `dir`.
    static func write(_ model: LlamaModel, into dir: String, optimizer: AdamW?, state: TrainerState?, stamp: TokenizerStamp?) throws {
        let stored = model.layout.tensors   // a tied head is the embedding: only stored once
        try Safetensors.write(dir + "/model.safetensors", tensors: stored.map {
            ($0.name, $0.shape, UnsafeBufferPointer(start: model.params.p + $0.offset, count: $0.count))
        })
        if let optimizer {
            var ts: [(name: String, shape: [Int], data: UnsafeBufferPointer<Float>)] = []
            for t in stored {
                ts.append(("exp_avg." + t.name, t.shape, UnsafeBufferPointer(start: optimizer.m.p + t.offset, count: t.count)))
                ts.append(("exp_avg_sq." + t.name, t.shape, UnsafeBufferPointer(start: optimizer.v.p + t.offset, count: t.count)))
            }
            try Safetensors.write(dir + "/optimizer.safetensors", tensors: ts, metadata: ["step": "\(optimizer.step)"])
        }
        if let state { try writeAtomically(Data(state.json().utf8), to: dir + "/trainer_state.json") }
        if let stamp { try PostTrainData.writeStamp(stamp, to: dir) }
        try writeAtomically(Data(model.config.huggingFaceJSON().utf8), to: dir + "/config.json")
    }

    /// Reads `dir/config.json`.
    public static func loadConfig(_ dir: String) throws -> LlamaConfig {
        if LoRAAdapterConfig.isAdapter(dir) { return try LoRACheckpoint.modelConfig(dir) }   // its base's shape
        let path = dir + "/config.json"
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TrainerError.io(file: path, message: "no config.json: not a checkpoint directory")
        }
        let json = try JSONFields(parsing: data, file: path, errors: .config)
        return try LlamaConfig(huggingFace: .object(json.members), path: path)
    }

    /// Loads a model from an HF-layout directory (ours or transformers'; F32/F16/BF16), a llama2.c `.bin`
    /// file, or a LoRA adapter directory (PEFT format; its base_model_name_or_path with the adapter merged).
    public static func load(_ dir: String) throws -> LlamaModel {
        var isDir: ObjCBool = false
        if dir.hasSuffix(".bin"), FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), !isDir.boolValue {
            return try loadLlama2c(dir)
        }
        if LoRAAdapterConfig.isAdapter(dir) {   // a LoRA adapter: its base with the adapter merged in
            let model = try LoRACheckpoint.load(dir)
            LoRACheckpoint.merge(model)
            return model
        }
        let config = try loadConfig(dir)
        let path = dir + "/model.safetensors"
        try checkFits(config, weights: path)
        let model = try LlamaModel(config: config, seed: 0, randomWeights: false)
        let tensors = try Safetensors.read(path)
        for t in model.layout.tensors {
            let name = t.name
            guard let src = tensors[name] else {
                throw TrainerError.format(file: path, message: "missing tensor \(t.name) (config says \(config.nLayers) layers, tied: \(config.tieEmbeddings))")
            }
            guard src.shape == t.shape else {
                throw TrainerError.format(file: path, message: "tensor \(t.name) has shape \(src.shape), config.json implies \(t.shape)")
            }
            if let bad = src.values.firstIndex(where: { !$0.isFinite }) {
                throw TrainerError.format(file: path, message: "tensor \(t.name) holds a non-finite value (\(src.values[bad]) at index \(bad))")
            }
            src.values.withUnsafeBufferPointer { (model.params.p + t.offset).update(from: $0.baseAddress!, count: t.count) }
        }
        return model
    }

    /// Allocation follows evidence: the weights file must be large enough for the shape config.json
    /// claims (2 bytes a parameter at least, for F16/BF16), and the fp32 weights must fit in memory —
    /// checked before anything is allocated, so a forged config is an error, not an out-of-memory kill.
    static func checkFits(_ config: LlamaConfig, weights path: String) throws {
        try config.validate()
        let params = config.parameterCount
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
        guard let size else { throw TrainerError.io(file: path, message: "cannot read the weights file") }
        guard size >= 2 * params else {
            throw TrainerError.format(file: path, message: "config.json describes \(params) parameters (at least \(2 * params) bytes), but the file holds \(size) bytes")
        }
        let need = Double(4 * params), have = Double(ProcessInfo.processInfo.physicalMemory)
        guard need < 0.9 * have else {
            throw TrainerError.io(file: path, message: String(format: "the model needs %.1f GiB for its fp32 weights; this machine has %.1f GiB", need / 1073741824, have / 1073741824))
        }
    }

    /// Restores AdamW moments and the trainer state written by `save`.
    public static func loadTrainingState(_ dir: String, into optimizer: AdamW, layout: ParameterLayout) throws -> TrainerState {
        let path = dir + "/optimizer.safetensors"
        let tensors = try Safetensors.read(path)
        for t in layout.tensors {
            guard let m = tensors["exp_avg." + t.name], let v = tensors["exp_avg_sq." + t.name],
                  m.values.count == t.count, v.values.count == t.count else {
                throw TrainerError.format(file: path, message: "missing or mis-shaped optimiser state for \(t.name)")
            }
            m.values.withUnsafeBufferPointer { (optimizer.m.p + t.offset).update(from: $0.baseAddress!, count: t.count) }
            v.values.withUnsafeBufferPointer { (optimizer.v.p + t.offset).update(from: $0.baseAddress!, count: t.count) }
        }
        let sp = dir + "/trainer_state.json"
        guard let json = try JSONFields.load(sp, errors: .format) else {
            throw TrainerError.format(file: sp, message: "missing")
        }
        let state = try TrainerState(json: json)
        optimizer.step = state.step
        return state
    }
}
