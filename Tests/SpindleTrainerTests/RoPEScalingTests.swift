// RoPE scaling without Python: the scaled rotation's backward (yarn's tables carry a factor), whole-model
// finite differences under yarn and dynamic scaling past the trained length, dynamic's switch at the
// trained length, the TYPE:FACTOR argument, and stretching a config.
import Testing
import SpindleIO
@testable import SpindleTrainer

@Suite struct RoPEScalingTests {
    @Test func scaledRotationBackwardIsItsTranspose() {
        let n = 4, heads = 2, hd = 8
        var s = RoPEScaling(kind: .yarn, factor: 4, originalMaxPositions: 8)
        s.betaFast = 8
        let table = RoPETables.make(hd, 10000, s, length: 32)
        #expect(abs(table.cos.p[0] - s.yarnAttentionFactor) < 1e-7 && s.yarnAttentionFactor > 1.1, "cos/sin carry yarn's factor")
        let x = Buf(randomArray(n * heads * hd, seed: 20)), r = Buf(randomArray(n * heads * hd, seed: 21))
        let pos: [Int32] = [0, 9, 17, 31]
        let loss = { () -> Double in
            let y = Buf(x.array)
            table.apply(par2, y.p, positions: pos, n: n, heads: heads)
            return y.dot(r)
        }
        let dx = Buf(r.array)
        table.apply(par2, dx.p, positions: pos, n: n, heads: heads, inverse: true)
        let e = gradientRelativeError(values: x.p, analytic: dx.p, indices: x.all, loss: loss)
        #expect(e < 1e-3, "scaled rope rel err \(e)")
    }

    @Test(arguments: [RoPEScaling.Kind.yarn, .dynamic, .llama3])
    func wholeModelFiniteDifferencesPastTheTrainedLength(kind: RoPEScaling.Kind) throws {
        let base = try tinyModel()
        var c = base.config
        c.maxSeqLen = 4
        let m = try base.reconfigured(try c.scaled(RoPEScaling(kind: kind, factor: 4)))   // trained 4, context 16
        let a = Activations(config: m.config, b: 1, t: 11)
        a.load(tokens: [1, 5, 9, 3, 3, 7, 2, 4, 4, 10, 6])
        m.zeroGradients()
        m.forwardBackward(a, lossScale: 1)
        expectGradientsMatchFiniteDifferences(m, samples: 8, seed: 4) { m.loss(a).lossSum }
    }

    @Test func dynamicIsTheDefaultRotaryUpToItsTrainedLength() {
        let c = LlamaConfig(dim: 32, nLayers: 1, nHeads: 2, hiddenDim: 16, vocabSize: 16, maxSeqLen: 64)
        var scaled = c
        scaled.ropeScaling = RoPEScaling(kind: .dynamic, factor: 2, originalMaxPositions: 32)
        let plain = RoPETables(c), dyn = RoPETables(scaled)
        let short = dyn.table(length: 32), long = dyn.table(length: 40)
        let p = plain.table(length: 40)
        #expect((0..<(32 * 8)).allSatisfy { short.cos.p[$0] == p.cos.p[$0] && short.sin.p[$0] == p.sin.p[$0] })
        #expect(long.maxPos == 40 && long.cos.p[39 * 8 + 7] != p.cos.p[39 * 8 + 7], "past L the base grows with the length")
        #expect(dyn.table(length: 40) === long, "one table per length, reused")
    }

    @Test func argumentsAndStretching() throws {
        #expect(try RoPEScaling(argument: "linear:4") == RoPEScaling(kind: .linear, factor: 4))
        #expect(try RoPEScaling(argument: "yarn:2.5").factor == 2.5)
        for bad in ["linear", "linear:0.5", "ntk:2", "yarn:x", "linear:4:1"] {
            #expect(throws: TrainerError.self) { try RoPEScaling(argument: bad) }
        }
        let c = LlamaConfig(dim: 32, nLayers: 1, nHeads: 2, hiddenDim: 16, vocabSize: 16, maxSeqLen: 256)
        let lin = try c.scaled(RoPEScaling(kind: .linear, factor: 4)), yarn = try c.scaled(RoPEScaling(kind: .yarn, factor: 4))
        #expect(lin.maxSeqLen == 1024 && lin.ropeScaling?.originalMaxPositions == nil)
        #expect(yarn.maxSeqLen == 1024 && yarn.ropeScaling?.originalMaxPositions == 256)
        #expect(throws: TrainerError.self) { try lin.scaled(RoPEScaling(kind: .linear, factor: 2)) }
        // config.json: dynamic names the trained length as max_position_embeddings, the others the context.
        let dyn = try c.scaled(RoPEScaling(kind: .dynamic, factor: 4))
        #expect(dyn.huggingFaceJSON().contains("\"max_position_embeddings\": 256,") && yarn.huggingFaceJSON().contains("\"max_position_embeddings\": 1024,"))
        #expect(yarn.huggingFaceJSON().contains(#""rope_scaling": {"factor": 4.0, "original_max_position_embeddings": 256, "rope_type": "yarn"}"#))
    }
}
