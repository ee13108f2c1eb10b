// LoRA under --rope-scaling: the scaling is put on the frozen base in memory, recorded in the adapter
// (spindle_rope_scaling), and applied again wherever the adapter is read, so the adapter and its merge
// score sequences past the base's context alike.
import Foundation
import Testing
import SpindleIO
@testable import SpindleTrainer
import SpindleTestSupport

@Suite struct LoRARoPETests {
    @Test(arguments: ["linear:2", "yarn:2"])
    func adaptersTrainUnderAScalingAndCarryIt(argument: String) throws {
        let tmp = TempDir("lora-rope"); defer { tmp.cleanup() }
        let base = tmp.sub("base"), out = tmp.sub("run")
        try Checkpoint.save(try tinyModel(), to: base)   // trained context 32
        let scaling = try RoPEScaling(argument: argument)
        var c = TrainConfig(model: try tinyConfig().scaled(scaling))
        c.seqLen = 48; c.batchSize = 2; c.steps = 6; c.lr = 1e-2; c.warmupSteps = 1; c.threads = 1
        c.outputDir = out; c.checkpointEvery = 3; c.evalEvery = 0
        let docs: [[Int32]] = (0..<4).map { i in (0..<48).map { Int32(($0 * 5 + i) % 9 + 1) } }
        let lora = LoRASettings(rank: 2, alpha: 4, targets: [.q, .k, .v])
        _ = try SFT.run(config: c, initFrom: base, train: InMemoryBatchSource.packing(documents: docs, seqLen: 48), eval: nil,
                        stamp: nil, resume: false, lora: lora, log: { _ in })
        let ckpt = out + "/checkpoint"
        #expect(try LoRAAdapterConfig.load(ckpt).ropeScaling == scaling)
        let shape = try Checkpoint.loadConfig(ckpt)
        #expect(shape == c.model && shape.maxSeqLen == 64)
        // Applied and merged agree on a sequence twice the base's context.
        let toks: [Int32] = (0..<60).map { Int32($0 % 10 + 1) }
        let applied = try LoRACheckpoint.load(ckpt)
        #expect(applied.config == c.model && applied.lora?.baseRoPEScaling != nil)
        let merged = try Checkpoint.load(ckpt)
        let d = zip(try Scorer(model: applied).logProbs(toks), try Scorer(model: merged).logProbs(toks)).map { abs($0 - $1) }.max()!
        #expect(d < 1e-5, "adapter applied vs merged under \(argument): \(d)")
        // lora merge writes the scaling into config.json; the base on disk keeps none.
        let full = tmp.sub("merged")
        _ = try LoRACheckpoint.mergeCheckpoint(base: base, adapter: ckpt, output: full, overwrite: false)
        let mergedShape = try Checkpoint.loadConfig(full), baseShape = try Checkpoint.loadConfig(base)
        #expect(mergedShape == c.model && baseShape.ropeScaling == nil)
    }
}
