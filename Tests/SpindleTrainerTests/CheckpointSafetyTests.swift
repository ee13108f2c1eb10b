// Checkpoints appear whole or not at all, diverging runs stop before a bad update, and configs and
// weights that cannot train are refused up front (issue 12 items 1, 5, 8).
import Foundation
import Testing
import SpindleIO
import SpindleShards
@testable import SpindleTrainer
import SpindleTestSupport

extension LlamaModel {
    /// A copy of the weights taken while the model is alive (`parameters` points into its buffer).
    var weights: [Float] { withExtendedLifetime(self) { Array(parameters) } }
}

@Suite struct CheckpointSafetyTests {
    static let stamp = TokenizerStamp(fingerprint: "f00d", vocabSize: 11, bosID: 1, eosID: 2)

    func files(_ dir: String) -> [String: Data] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return Dictionary(uniqueKeysWithValues: names.map { ($0, FileManager.default.contents(atPath: dir + "/" + $0) ?? Data()) })
    }

    @Test func aSaveThatNeverCommitsLeavesThePreviousCheckpoint() throws {
        let tmp = TempDir("ckpt-atomic"); defer { tmp.cleanup() }
        let dir = tmp.sub("checkpoint")
        let t = try Trainer(config: tinyTrainConfig(steps: 4), source: tinySource())
        t.stamp = Self.stamp
        try t.step(); try t.save(to: dir)
        let before = files(dir)
        #expect(Set(before.keys) == ["config.json", "model.safetensors", "optimizer.safetensors", "trainer_state.json", "spindle_tokenizer.json"])
        // A save killed half-way: its staging directory holds new weights, nothing switched in.
        try t.step()
        let staging = try CheckpointDirectory(dir)
        try Checkpoint.write(t.model, into: staging.staging, optimizer: t.optimizer, state: nil, stamp: nil)
        #expect(files(dir) == before)
        let resumed = try Trainer.resuming(from: dir, config: tinyTrainConfig(steps: 4), source: tinySource())
        #expect(resumed.state.step == 1)
        // The next save removes the leftover and switches in a complete checkpoint.
        try t.save(to: dir)
        let parent = (try? FileManager.default.contentsOfDirectory(atPath: tmp.path)) ?? []
        #expect(parent == ["checkpoint"])
        #expect(try Trainer.resuming(from: dir, config: tinyTrainConfig(steps: 4), source: tinySource()).state.step == 2)
        #expect(try PostTrainData.readStamp(dir) == Self.stamp)
    }

    @Test func stagingLeftByADeadProcessIsRemoved() throws {
        let tmp = TempDir("ckpt-stale"); defer { tmp.cleanup() }
        let stale = tmp.sub(".checkpoint.saving-2147483646")   // no such process
        try FileManager.default.createDirectory(atPath: stale, withIntermediateDirectories: true)
        try Checkpoint.save(try LlamaModel(config: tinyConfig(), seed: 1), to: tmp.sub("checkpoint"))
        #expect(!FileManager.default.fileExists(atPath: stale))
    }

    @Test func severalModelsSwitchInTogether() throws {
        let tmp = TempDir("ckpt-pair"); defer { tmp.cleanup() }
        let a = try LlamaModel(config: tinyConfig(), seed: 1), b = try LlamaModel(config: tinyConfig(), seed: 2)
        try Checkpoint.save([("policy", a, nil), ("value", b, nil)], to: tmp.sub("ckpt"), state: TrainerState(), stamp: Self.stamp)
        #expect(try Checkpoint.load(tmp.sub("ckpt/policy")).weights == a.weights)
        #expect(try Checkpoint.load(tmp.sub("ckpt/value")).weights == b.weights)
        try Checkpoint.save([("policy", b, nil), ("value", a, nil)], to: tmp.sub("ckpt"), state: TrainerState(), stamp: Self.stamp)
        #expect(try Checkpoint.load(tmp.sub("ckpt/policy")).weights == b.weights)
    }

    @Test func nonFiniteLossStopsBeforeTheUpdate() throws {
        let t = try Trainer(config: tinyTrainConfig(steps: 4), source: tinySource())
        t.model.parameters[t.model.layout.embed] = .nan
        let before = Array(t.model.parameters)
        #expect {
            try t.step()
        } throws: { e in
            guard case TrainerError.diverged(let step, _) = e else { return false }
            return step == 1 && (e as? SpindleError)?.exitCode == 65
        }
        // The weights were not touched (bitwise; NaN != NaN, so compare bit patterns).
        #expect(t.model.parameters.map(\.bitPattern) == before.map(\.bitPattern))
        #expect(t.state.step == 0)
    }

    @Test func nonFiniteWeightsAreRefusedAtLoad() throws {
        let tmp = TempDir("ckpt-nan"); defer { tmp.cleanup() }
        let m = try LlamaModel(config: tinyConfig(), seed: 1)
        m.parameters[3] = .infinity
        try Checkpoint.save(m, to: tmp.sub("c"))
        #expect(throws: TrainerError.self) { _ = try Checkpoint.load(tmp.sub("c")) }
    }

    @Test func aConfigClaimingAHugeModelIsRefusedBeforeAllocating() throws {
        let tmp = TempDir("ckpt-huge"); defer { tmp.cleanup() }
        try Checkpoint.save(try LlamaModel(config: tinyConfig(), seed: 1), to: tmp.sub("c"))
        var big = tinyConfig()
        big.dim = 8192; big.nHeads = 64; big.nKVHeads = 8; big.hiddenDim = 28672; big.nLayers = 80
        try Data(big.huggingFaceJSON().utf8).write(to: URL(fileURLWithPath: tmp.sub("c/config.json")))
        #expect { _ = try Checkpoint.load(tmp.sub("c")) } throws: { e in
            guard case TrainerError.format(_, let m) = e else { return false }
            return m.contains("parameters")
        }
        big.dim = 1 << 30   // would overflow the parameter count
        try Data(big.huggingFaceJSON().utf8).write(to: URL(fileURLWithPath: tmp.sub("c/config.json")))
        #expect(throws: TrainerError.self) { _ = try Checkpoint.load(tmp.sub("c")) }
    }

    /// Each case: the field the error must name, and how the config is broken.
    static let broken = ["lr=nan", "lr=-1", "beta1=1", "beta2=-0.1", "eps=0", "grad_clip=-1", "rope_theta=0", "n_heads=5"]

    @Test(arguments: broken)
    func configsThatCannotTrainAreRefused(_ change: String) throws {
        var c = tinyTrainConfig()
        let field: String
        switch change {
        case "lr=nan": c.lr = .nan; field = "training.lr"
        case "lr=-1": c.lr = -1; field = "training.lr"
        case "beta1=1": c.adamw.beta1 = 1; field = "training.beta1"
        case "beta2=-0.1": c.adamw.beta2 = -0.1; field = "training.beta2"
        case "eps=0": c.adamw.eps = 0; field = "training.eps"
        case "grad_clip=-1": c.gradClip = -1; field = "training.grad_clip"
        case "rope_theta=0": c.model.ropeTheta = 0; field = "rope_theta"
        default: c.model.nHeads = 5; field = "n_heads"
        }
        #expect {
            try c.validate()
        } throws: { e in
            guard case TrainerError.config(let f, _) = e else { return false }
            return f == field
        }
    }
}

/// A prompt longer than the context is an error, or is cut with a warning — never "0 tokens" and success.
@Suite struct PromptFitTests {
    @Test func tooLongPromptsAreRefusedOrCut() throws {
        var o = SamplingOptions(); o.maxNewTokens = 4
        let model = try LlamaModel(config: tinyConfig(), seed: 1)
        let run = GenerateRun(model: model, options: o)
        let context = model.config.maxSeqLen
        let long = [Int32](repeating: 3, count: context + 5)
        #expect(throws: TrainerError.self) { _ = try run.fit([long], name: "p", warn: { _ in }) }
        nonisolated(unsafe) var warnings: [String] = []
        let left = try run.fit([Array(long.indices.map { Int32($0 % 7) })], name: "p", truncate: .left, warn: { warnings.append($0) })[0]
        #expect(left.count == context - 4 && left.last == Int32((long.count - 1) % 7))
        let right = try run.fit([long], name: "p", truncate: .right, warn: { warnings.append($0) })[0]
        #expect(right.count == context - 4)
        #expect(warnings.count == 2)
        #expect(try run.fit([[1, 2, 3]], name: "p", warn: { _ in Issue.record("no warning expected") }) == [[1, 2, 3]])
    }
}
