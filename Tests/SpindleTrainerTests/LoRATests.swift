// LoRA adapters: finite-difference checks of dA, dB and dx (with and without dropout), the frozen
// base, merging, PEFT's file layout, and training only the adapters.
import Foundation
import Testing
import SpindleIO
@testable import SpindleTrainer
import SpindleTestSupport

/// Adapters with random non-zero A and B (B starts at zero in training, which would hide dA).
func randomAdapters(_ c: LlamaConfig, targets: [LoRATarget], rank: Int = 3, dropout: Float = 0, seed: UInt64 = 4) throws -> LoRAAdapters {
    let lora = try LoRAAdapters(config: c, settings: LoRASettings(rank: rank, alpha: 5, dropout: dropout, targets: targets), seed: seed)
    var r = SeededRandom(seed: seed &+ 1)
    for i in 0..<lora.count { lora.params.p[i] = (r.nextFloat() - 0.5) * 0.8 }
    return lora
}

@Suite struct LoRATests {
    @Test(arguments: [Float(0), 0.4])
    func oneProjectionFiniteDifferences(dropout: Float) throws {
        let c = tinyConfig(), n = 5
        let lora = try randomAdapters(c, targets: [.o], dropout: dropout)
        lora.training = true; lora.dropoutSeed = 77
        let sl = lora.slots[0]
        let x = Buf(randomArray(n * sl.inDim, seed: 1)), r = Buf(randomArray(n * sl.outDim, seed: 2))
        let y = Buf(zeros: n * sl.outDim), dx = Buf(zeros: n * sl.inDim)
        let loss = { () -> Double in
            y.p.update(repeating: 0, count: y.count)
            lora.forward(par2, layer: 0, .o, x: x.p, y: y.p, n: n)
            return y.dot(r)
        }
        _ = loss()
        lora.zeroGradients()
        lora.backward(layer: 0, .o, x: x.p, dy: r.p, dx: dx.p, n: n)
        let all = Array(0..<lora.count)
        let ep = gradientRelativeError(values: lora.params.p, analytic: lora.grads.p, indices: all, loss: loss)
        let ex = gradientRelativeError(values: x.p, analytic: dx.p, indices: x.all, loss: loss)
        #expect(ep < 1e-3 && ex < 1e-3, "dropout \(dropout): rel err dA/dB \(ep) dx \(ex)")
        if dropout > 0 {   // the mask dropped some inputs, not all
            let masked = (0..<(n * sl.inDim)).filter { lora.scratchMask(slot: 0)[$0] == 0 }.count
            #expect(masked > 0 && masked < n * sl.inDim)
        }
    }

    @Test(arguments: [Float(0), 0.25])
    func wholeModelFiniteDifferences(dropout: Float) throws {
        let m = try tinyModel()
        m.lora = try randomAdapters(m.config, targets: LoRATarget.allCases, dropout: dropout)
        m.lora!.training = true; m.lora!.dropoutSeed = 9
        let a = Activations(config: m.config, b: 2, t: 7)
        a.load(tokens: [1, 5, 9, 3, 3, 7, 2, 4, 4, 10, 0, 6, 8, 1], segments: [0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0])
        m.zeroGradients(); m.lora!.zeroGradients()
        m.forwardBackward(a, lossScale: 1)
        let lora = m.lora!
        var r = SeededRandom(seed: 3)
        for s in lora.slots {
            for (off, count, name) in [(s.a, lora.settings.rank * s.inDim, "A"), (s.b, s.outDim * lora.settings.rank, "B")] {
                let idx = (0..<8).map { _ in off + Int(r.next() % UInt64(count)) }
                let e = gradientRelativeError(values: lora.params.p, analytic: lora.grads.p, indices: idx, h: 1e-2) { m.loss(a).lossSum }
                #expect(e < 5e-3, "layer \(s.layer) \(s.target.hfName) lora_\(name): relative error \(e)")
            }
        }
        // Frozen base: no projection, head or embedding gradient.
        for t in m.layout.tensors where t.shape.count == 2 {
            #expect(UnsafeBufferPointer(start: m.grads.p + t.offset, count: t.count).allSatisfy { $0 == 0 }, "\(t.name) got a gradient")
        }
    }

    @Test func mergedModelEqualsAdaptedModel() throws {
        let m = try tinyModel()
        m.lora = try randomAdapters(m.config, targets: [.q, .v, .gate, .down])
        let tokens: [Int32] = [1, 5, 9, 3, 3, 7, 2, 4, 10]
        let adapted = try Scorer(model: m).logProbs(tokens)
        let base = try tinyModel()
        let plain = try Scorer(model: base).logProbs(tokens)
        LoRACheckpoint.merge(m)
        #expect(m.lora == nil)
        let merged = try Scorer(model: m).logProbs(tokens)
        let worst = zip(adapted, merged).map { abs($0 - $1) }.max()!
        #expect(worst < 1e-5, "merged vs adapted: \(worst)")
        #expect(zip(adapted, plain).map { abs($0 - $1) }.max()! > 1e-2, "the adapter changes the model")
    }

    @Test func savesPEFTNamesAndLoadsBack() throws {
        let tmp = TempDir("lora"); defer { tmp.cleanup() }
        let c = tinyConfig()
        let lora = try randomAdapters(c, targets: [.q, .v, .up])
        lora.baseModel = "/base/dir"
        try LoRACheckpoint.save(lora, to: tmp.path + "/ad")
        let t = try Safetensors.read(tmp.path + "/ad/adapter_model.safetensors")
        #expect(t.count == 2 * 3 * c.nLayers)
        let q = try #require(t["base_model.model.model.layers.1.self_attn.q_proj.lora_A.weight"])
        #expect(q.shape == [3, c.dim])
        #expect(t["base_model.model.model.layers.0.mlp.up_proj.lora_B.weight"]?.shape == [c.hiddenDim, 3])
        let cfg = try LoRAAdapterConfig.load(tmp.path + "/ad")
        #expect(cfg.settings == lora.settings && cfg.baseModel == "/base/dir")
        let text = try String(contentsOfFile: tmp.path + "/ad/adapter_config.json", encoding: .utf8)
        for want in ["\"peft_type\": \"LORA\"", "\"task_type\": \"CAUSAL_LM\"", "\"q_proj\"", "\"bias\": \"none\"", "\"fan_in_fan_out\": false"] {
            #expect(text.contains(want), "adapter_config.json lacks \(want)")
        }
        let back = try LoRACheckpoint.loadAdapters(tmp.path + "/ad", config: c)
        #expect(Array(back.parameters) == Array(lora.parameters))
        // What Spindle cannot apply exactly is refused, naming the field.
        try text.replacingOccurrences(of: "\"use_dora\": false", with: "\"use_dora\": true")
            .write(toFile: tmp.path + "/ad/adapter_config.json", atomically: true, encoding: .utf8)
        #expect(throws: TrainerError.self) { try LoRAAdapterConfig.load(tmp.path + "/ad") }
    }

    @Test func initialisationFollowsPEFT() throws {
        let c = tinyConfig()
        let lora = try LoRAAdapters(config: c, settings: LoRASettings(rank: 4, alpha: 8, targets: [.q, .down]), seed: 1)
        #expect(lora.settings.scaling == 2)
        for s in lora.slots {
            let a = UnsafeBufferPointer(start: lora.params.p + s.a, count: 4 * s.inDim)
            let bound = 1 / Float(s.inDim).squareRoot()
            #expect(a.allSatisfy { abs($0) <= bound } && a.contains { abs($0) > bound / 2 })
            #expect(UnsafeBufferPointer(start: lora.params.p + s.b, count: s.outDim * 4).allSatisfy { $0 == 0 })
        }
        #expect(try LoRATarget.parseList("v,q") == [.q, .v])
        #expect(throws: TrainerError.self) { try LoRATarget.parseList("q,x") }
    }

    @Test func trainingMovesOnlyTheAdapters() throws {
        var c = TrainConfig(model: tinyConfig())
        c.seqLen = 8; c.batchSize = 2; c.steps = 30; c.lr = 1e-2; c.warmupSteps = 1; c.threads = 1
        let docs: [[Int32]] = (0..<6).map { i in (0..<8).map { Int32(($0 + i) % 5 + 1) } }
        let m = try tinyModel()
        let before = Array(m.parameters)
        m.lora = try LoRAAdapters(config: m.config, settings: LoRASettings(rank: 2, alpha: 4, dropout: 0.1, targets: [.q, .v, .o]), seed: 2)
        let t = try Trainer(config: c, source: InMemoryBatchSource.packing(documents: docs, seqLen: 8), model: m)
        #expect(t.optimizer.m.count == m.lora!.count)
        let first = try t.step().loss
        var last = first
        for _ in 1..<30 { last = try t.step().loss }
        #expect(last < first - 0.1, "loss \(first) -> \(last)")
        #expect(Array(m.parameters) == before, "base weights moved")
    }
}

extension LoRAAdapters {
    /// The dropout mask the last forward of `slot` used (tests).
    func scratchMask(slot: Int) -> [Float] {
        let n = currentScratchTokens, d = slots[slot].inDim
        return maskPointer(slot: slot).map { Array(UnsafeBufferPointer(start: $0, count: n * d)) } ?? []
    }
}

@Suite struct LoRARunTests {
    func tinyRun(_ out: String, steps: Int) -> TrainConfig {
        var c = TrainConfig(model: tinyConfig())
        c.seqLen = 8; c.batchSize = 2; c.steps = steps; c.lr = 1e-2; c.warmupSteps = 1; c.threads = 1
        c.outputDir = out; c.checkpointEvery = 5; c.evalEvery = 0
        return c
    }
    let docs: [[Int32]] = (0..<6).map { i in (0..<8).map { Int32(($0 * 3 + i) % 7 + 1) } }
    let settings = LoRASettings(rank: 2, alpha: 4, dropout: 0.2, targets: [.q, .k, .v, .o, .up])

    /// SFT with --lora-rank: the checkpoint is a PEFT adapter naming the base; a run stopped and resumed
    /// from it ends with the same adapter and moments, bit for bit, as one uninterrupted run.
    @Test func sftRunWritesAnAdapterAndResumesExactly() throws {
        let tmp = TempDir("lora-run"); defer { tmp.cleanup() }
        let base = tmp.sub("base")
        try Checkpoint.save(try tinyModel(), to: base)
        let src = InMemoryBatchSource.packing(documents: docs, seqLen: 8)
        let whole = tmp.sub("whole")
        let r = try SFT.run(config: tinyRun(whole, steps: 10), initFrom: base, train: src, eval: nil, stamp: nil, resume: false,
                            lora: settings, log: { _ in })
        #expect(r.steps == 10)
        let ckpt = whole + "/checkpoint"
        #expect(FileManager.default.fileExists(atPath: ckpt + "/adapter_model.safetensors"))
        #expect(!FileManager.default.fileExists(atPath: ckpt + "/model.safetensors"), "the base is not copied")
        #expect(try LoRACheckpoint.baseModel(of: ckpt) == URL(fileURLWithPath: base).standardizedFileURL.path)
        // Half, then resumed from the saved adapter.
        let half = tmp.sub("half")
        let first = try LoRACheckpoint.startRun(initFrom: base, settings: settings, config: tinyRun(half, steps: 10),
                                                checkpoint: half + "/checkpoint", stamp: nil)
        let t1 = try Trainer.resuming(from: half + "/checkpoint", config: tinyRun(half, steps: 10), source: src)
        #expect(t1.model.lora!.parameters.elementsEqual(first.lora!.parameters))
        for _ in 0..<5 { try t1.step() }
        try t1.save(to: half + "/checkpoint")
        let t2 = try Trainer.resuming(from: half + "/checkpoint", config: tinyRun(half, steps: 10), source: src)
        for _ in 0..<5 { try t2.step() }
        let done = try LoRACheckpoint.load(ckpt)
        #expect(t2.model.lora!.parameters.elementsEqual(done.lora!.parameters), "resumed adapter differs")
        let wholeMoments = try Trainer.resuming(from: ckpt, config: tinyRun(whole, steps: 10), source: src).optimizer
        let dm = zip(t2.optimizer.firstMoment, wholeMoments.firstMoment).map { abs($0 - $1) }.max() ?? 0
        #expect(t2.optimizer.firstMoment.elementsEqual(wholeMoments.firstMoment), "first moments differ by up to \(dm); steps \(t2.optimizer.step) vs \(wholeMoments.step)")
        // Every --checkpoint reader takes the adapter directory: its base with the adapter merged in.
        let merged = try Checkpoint.load(ckpt)
        let shape = try Checkpoint.loadConfig(ckpt)
        #expect(merged.lora == nil && shape == merged.config)
        let toks: [Int32] = [1, 4, 7, 2, 5, 3, 6, 1]
        let d = zip(try Scorer(model: merged).logProbs(toks), try Scorer(model: done).logProbs(toks)).map { abs($0 - $1) }.max()!
        #expect(d < 1e-5, "adapter directory loaded merged vs applied: \(d)")
        // The base on disk is untouched, and the adapter moved.
        let onDisk = try Checkpoint.load(base), original = try tinyModel()   // bound: parameters point into them
        #expect(onDisk.parameters.elementsEqual(original.parameters))
        #expect(done.lora!.parameters.contains { $0 != 0 } && UnsafeBufferPointer(start: done.lora!.params.p + done.lora!.slots[0].b, count: 8).contains { $0 != 0 })
    }
}

extension LoRARunTests {
    /// DPO with LoRA: the adapters learn the planted preference against the frozen base (the reference),
    /// the checkpoint is an adapter, and a stopped run resumed from it ends with the same adapter.
    @Test func dpoTrainsAdaptersAgainstTheFrozenBase() throws {
        let tmp = TempDir("lora-dpo"); defer { tmp.cleanup() }
        let initDir = tmp.sub("sft"), a = tmp.sub("a"), b = tmp.sub("b")
        try Checkpoint.save(try tinyModel(), to: initDir)
        let train = plantedDPOPairs(48, seed: 1), held = plantedDPOPairs(16, seed: 2)
        let key = DPOReferenceKey(shards: "planted-48+16", reference: "tiny", seqLen: 16, pairs: 64)
        let lora = LoRASettings(rank: 4, alpha: 16, dropout: 0.1, targets: LoRATarget.allCases)
        var c = tinyDPOConfig(out: a, steps: 20)
        c.lr = 3e-2
        let r = try DPOTraining.run(config: c, initFrom: initDir, pairs: train, eval: held, loss: dpoSettings(.sigmoid, beta: 0.5),
                                    reference: .once(key: key), stamp: nil, resume: false, lora: lora, log: { _ in })
        #expect((r.evalAccuracy ?? 0) >= 0.8, "held-out reward accuracy \(r.evalAccuracy ?? .nan)")
        #expect(LoRAAdapterConfig.isAdapter(a + "/checkpoint"))
        c.outputDir = b
        _ = try DPOTraining.run(config: c, initFrom: initDir, pairs: train, eval: held, loss: dpoSettings(.sigmoid, beta: 0.5),
                                reference: .once(key: key), stamp: nil, resume: false, stopAt: 9, lora: lora, log: { _ in })
        _ = try DPOTraining.run(config: c, initFrom: initDir, pairs: train, eval: held, loss: dpoSettings(.sigmoid, beta: 0.5),
                                reference: .once(key: key), stamp: nil, resume: true, log: { _ in })
        let la = try LoRACheckpoint.load(a + "/checkpoint").lora!, lb = try LoRACheckpoint.load(b + "/checkpoint").lora!
        #expect(la.parameters.elementsEqual(lb.parameters), "resumed DPO adapter differs")
    }
}
