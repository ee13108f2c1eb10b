// safetensors and config.json: round trips, dtypes, corruption; HF-layout checkpoints.
import Foundation
import Testing
import SpindleIO
@testable import SpindleTrainer
import SpindleTestSupport

/// A safetensors file from raw pieces.
func safetensorsBytes(header: String, body: [UInt8]) -> Data {
    var d = Data()
    withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { d.append(contentsOf: $0) }
    d.append(contentsOf: Array(header.utf8)); d.append(contentsOf: body)
    return d
}

@Suite struct CheckpointTests {
    @Test(arguments: [false, true])
    func saveLoadRoundTripIsExact(tied: Bool) throws {
        let m = try tinyModel(tied: tied)
        let tmp = TempDir("rt"); defer { tmp.cleanup() }
        let dir = tmp.path
        try Checkpoint.save(m, to: dir)
        let back = try Checkpoint.load(dir)
        #expect(back.config == m.config)
        #expect(Array(back.parameters) == Array(m.parameters))
        let names = try Safetensors.read(dir + "/model.safetensors").keys
        #expect(names.contains("model.layers.1.mlp.down_proj.weight") && names.contains("model.norm.weight"))
        #expect(names.contains("lm_head.weight") == !tied)
    }

    @Test func readsF16AndBF16() throws {
        // 1.5, -2, 0.25 in F16 (0x3E00, 0xC000, 0x3400) and BF16 (0x3FC0, 0xC000, 0x3E80).
        let f16: [UInt8] = [0x00, 0x3E, 0x00, 0xC0, 0x00, 0x34]
        let bf16: [UInt8] = [0xC0, 0x3F, 0x00, 0xC0, 0x80, 0x3E]
        let h = "{\"a\":{\"dtype\":\"F16\",\"shape\":[3],\"data_offsets\":[0,6]},\"b\":{\"dtype\":\"BF16\",\"shape\":[1,3],\"data_offsets\":[6,12]}}"
        let t = try Safetensors.parse(safetensorsBytes(header: h, body: f16 + bf16), path: "x")
        #expect(t["a"]?.values == [1.5, -2, 0.25] && t["b"]?.values == [1.5, -2, 0.25] && t["b"]?.shape == [1, 3])
        #expect(halfToFloat(0x0001) == 0x1p-24 && halfToFloat(0x7C00) == .infinity)
    }

    @Test(arguments: [
        ("short", Data([1, 2, 3])),
        ("header too long", safetensorsBytes(header: "{}", body: []).dropLast(1)),
        ("not json", safetensorsBytes(header: "{\"a\":", body: [])),
        ("offsets beyond body", safetensorsBytes(header: "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", body: [0, 0, 0, 0])),
        ("shape mismatch", safetensorsBytes(header: "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", body: [UInt8](repeating: 0, count: 8))),
        ("unknown dtype", safetensorsBytes(header: "{\"a\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", body: [UInt8](repeating: 0, count: 8))),
        ("huge header size", Data([255, 255, 255, 255, 255, 255, 255, 255, 0])),
    ])
    func corruptFilesThrow(name: String, bytes: Data) {
        #expect(throws: TrainerError.self, "\(name)") { try Safetensors.parse(bytes, path: "bad.safetensors") }
    }

    @Test func missingTensorOrWrongShapeNamesIt() throws {
        let m = try tinyModel()
        let tmp = TempDir("shape"); defer { tmp.cleanup() }
        let dir = tmp.path
        try Checkpoint.save(m, to: dir)
        var c = m.config; c.hiddenDim = 32
        try Data(c.huggingFaceJSON().utf8).write(to: URL(fileURLWithPath: dir + "/config.json"))
        #expect { try Checkpoint.load(dir) } throws: { "\($0)".contains("gate_proj") }
    }

    @Test func configReadsBothRopeThetaFormsAndDefaults() throws {
        let base = #""hidden_size": 64, "intermediate_size": 172, "num_hidden_layers": 2, "num_attention_heads": 4, "vocab_size": 512, "rms_norm_eps": 1e-6"#
        let v4 = try JSONValue.parse("{\(base), \"rope_theta\": 500000.0}")
        let v5 = try JSONValue.parse(#"{\#(base), "rope_parameters": {"rope_theta": 250000.0, "rope_type": "default"}}"#)
        let c4 = try LlamaConfig(huggingFace: v4), c5 = try LlamaConfig(huggingFace: v5)
        #expect(c4.ropeTheta == 500000 && c5.ropeTheta == 250000)
        #expect(c4.nKVHeads == 4 && !c4.tieEmbeddings && c4.normEps == 1e-6)
        // transformers 4.x `rope_scaling` (old key `type`), read as 5.x reads it; unsupported types refused.
        let scaled = try JSONValue.parse(#"{\#(base), "rope_theta": 500000.0, "rope_scaling": {"type": "linear", "factor": 2.0}}"#)
        let cs = try LlamaConfig(huggingFace: scaled)
        #expect(cs.ropeScaling == RoPEScaling(kind: .linear, factor: 2) && cs.ropeTheta == 500000 && cs.maxSeqLen == 2048)
        let dyn = try LlamaConfig(huggingFace: try JSONValue.parse(#"{\#(base), "max_position_embeddings": 256, "rope_scaling": {"rope_type": "dynamic", "factor": 4.0}}"#))
        #expect(dyn.maxSeqLen == 1024 && dyn.ropeScaling?.originalMaxPositions == 256, "dynamic: context = factor × max_position_embeddings")
        let l3 = #"{\#(base), "max_position_embeddings": 1024, "rope_parameters": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 128, "rope_theta": 500000.0}}"#
        let c3 = try LlamaConfig(huggingFace: try JSONValue.parse(l3))
        #expect(c3.ropeScaling?.kind == .llama3 && c3.ropeScaling?.originalMaxPositions == 128 && c3.maxSeqLen == 1024 && c3.ropeTheta == 500000)
        let longrope = try JSONValue.parse(#"{\#(base), "rope_scaling": {"rope_type": "longrope", "short_factor": [1.0], "long_factor": [2.0]}}"#)
        #expect { try LlamaConfig(huggingFace: longrope) } throws: { "\($0)".contains("rope_scaling.rope_type") }
        let noFactor = try JSONValue.parse(#"{\#(base), "rope_scaling": {"rope_type": "linear"}}"#)
        #expect { try LlamaConfig(huggingFace: noFactor) } throws: { "\($0)".contains("rope_scaling.factor") }
        for c in [cs, dyn, c3] { #expect(try LlamaConfig(huggingFace: try JSONValue.parse(c.huggingFaceJSON())) == c) }
        // Our own config.json reads back to the same config.
        let ours = try JSONValue.parse(c4.huggingFaceJSON())
        #expect(try LlamaConfig(huggingFace: ours) == c4)
    }

    @Test func llama2_7bPresetHasTheRealSize() throws {
        let c = try TrainConfig.load(TestPaths.package("configs/llama2-7b.json"))
        #expect(c.model.parameterCount == 6_738_415_616)   // Llama-2-7b-hf
        for p in ["nano", "stories15M", "stories42M"] {
            _ = try TrainConfig.load(TestPaths.package("configs/\(p).json"))
        }
        let s15 = try TrainConfig.load(TestPaths.package("configs/stories15M.json"))
        #expect(s15.model.parameterCount == 24_407_712)   // 2·32000·288 + 6·995,904 + 288
        // The 7B shape is refused with a size message instead of an allocation failure.
        #expect { try Trainer(config: c, source: RandomTokenBatchSource(seqLen: c.seqLen, vocab: 32000, seed: 1)) }
            throws: { "\($0)".contains("GiB") }
    }

    @Test func trainConfigRejectsUnknownKeys() throws {
        let j = try JSONValue.parse(#"{"model": {"dim": 64, "n_layers": 2, "n_heads": 4, "hidden_dim": 172, "vocab_size": 512, "max_seq_len": 256}, "training": {"learning_rate": 0.1}}"#)
        #expect { try TrainConfig(json: j, path: "c.json") } throws: { "\($0)".contains("training.learning_rate") }
    }
}
