// KV-cached decoding against the full forward pass; sampling; scoring.
import Testing
import SpindleIO
@testable import SpindleTrainer

@Suite struct InferenceTests {
    @Test(arguments: [false, true], [1, 2, 3])
    func kvCacheMatchesFullForward(tied: Bool, threads: Int) throws {
        let m = try tinyModel(tied: tied)
        let tokens: [Int32] = [1, 5, 9, 3, 7, 2, 4]
        let a = Activations(config: m.config, b: 1, t: tokens.count)
        a.load(tokens: tokens)
        m.forward(a)
        let g = Generator(model: m, batch: 1, threads: threads)
        let V = m.config.vocabSize
        var worst: Float = 0
        for (pos, t) in tokens.enumerated() {
            let lg = [t].withUnsafeBufferPointer { g.step(tokens: $0.baseAddress!, rows: 1, pos: pos) }
            for i in 0..<V { worst = max(worst, abs(lg[i] - a.logits.p[pos * V + i])) }
        }
        #expect(worst < 1e-5, "max |Δlogit| \(worst)")
    }

    @Test func batchedGenerationEqualsOneAtATime() throws {
        let m = try tinyModel()
        var o = SamplingOptions()
        o.temperature = 1; o.topP = 0.9; o.maxNewTokens = 6; o.seed = 3; o.stopToken = nil
        let prompts: [[Int32]] = [[1, 4], [1, 7, 7, 3], [1]]
        let batched = Generator(model: m, batch: 3).generate(prompts: prompts, options: o)
        for (i, p) in prompts.enumerated() {
            var oi = o; oi.seed = o.seed &+ UInt64(i)
            let single = Generator(model: m, batch: 1).generate(prompts: [p], options: oi)[0]
            #expect(single.tokens == batched[i].tokens)
            #expect(zip(single.logProbs, batched[i].logProbs).allSatisfy { abs($0 - $1) < 1e-4 })
        }
        #expect(batched.allSatisfy { $0.tokens.count == 6 })
    }

    @Test func greedyPicksArgmaxAndLogProbsMatchScorer() throws {
        let m = try tinyModel()
        var o = SamplingOptions()
        o.temperature = 0; o.maxNewTokens = 5; o.stopToken = nil
        let prompt: [Int32] = [1, 6, 2]
        let gen = Generator(model: m, batch: 1).generate(prompts: [prompt], options: o)[0]
        let lp = try Scorer(model: m).logProbs(prompt + gen.tokens)
        let tail = Array(lp.suffix(gen.tokens.count))
        #expect(zip(tail, gen.logProbs).allSatisfy { abs($0 - $1) < 1e-4 }, "\(tail) vs \(gen.logProbs)")
    }

    @Test func topPSamplingStaysInTheNucleus() {
        let vocab = 5
        var rng = SeededRandom(seed: 1)
        var o = SamplingOptions(); o.temperature = 1; o.topP = 0.5
        let idx = UnsafeMutablePointer<Int32>.allocate(capacity: vocab); defer { idx.deallocate() }
        for _ in 0..<200 {
            var logits: [Float] = [0, 2, 0, 1.9, -1]   // p ≈ .08 .44 .08 .40 .03: nucleus {1, 3}
            let (t, lp) = logits.withUnsafeMutableBufferPointer { sampleToken($0.baseAddress!, vocab: vocab, options: o, rng: &rng, index: idx) }
            #expect(t == 1 || t == 3)
            #expect(abs(lp - (t == 1 ? -0.79993 : -0.89993)) < 1e-4)
        }
    }
}
