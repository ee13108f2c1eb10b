// Prefill + shared KV cache + per-row positions against the naive lockstep loop (every prompt token
// fed through `step` in every row): same tokens, same log-probs to 1e-4; determinism; cancellation.
import Testing
import SpindleIO
@testable import SpindleTrainer

@Suite struct GeneratorBatchTests {
    /// Prompts of different lengths (one longer than a prefill chunk), two of them equal.
    let prompts: [[Int32]] = [[1, 4], [1, 7, 7, 3, 9, 2, 5, 8, 6, 3, 1], [1], [1, 4], [1, 5, 5, 5, 6]]

    func options(temperature: Float, topP: Float = 0.9, stop: Int32? = nil, maxNew: Int = 7) -> SamplingOptions {
        var o = SamplingOptions()
        o.temperature = temperature; o.topP = topP; o.maxNewTokens = maxNew; o.seed = 21; o.stopToken = stop
        return o
    }

    func expectSame(_ a: [Generation], _ b: [Generation]) {
        #expect(a.count == b.count)
        for (x, y) in zip(a, b) {
            #expect(x.tokens == y.tokens)
            #expect(x.stopped == y.stopped)
            #expect(x.logProbs.count == y.logProbs.count)
            #expect(zip(x.logProbs, y.logProbs).allSatisfy { abs($0 - $1) < 1e-4 }, "\(x.logProbs) vs \(y.logProbs)")
        }
    }

    @Test(arguments: [Float(0), 1], [1, 2])
    func prefillAndPerRowPositionsMatchLockstep(temperature: Float, threads: Int) throws {
        let m = try tinyModel()
        m.parallel = Parallel(threads: threads)
        // A prefill chunk of 4 positions splits the long prompt over several forwards.
        let fast = Generator(model: m, batch: prompts.count, threads: threads, prefillChunk: 4)
        let naive = Generator(model: m, batch: prompts.count, threads: threads)
        for stop: Int32? in [nil, 3] {
            let o = options(temperature: temperature, stop: stop)
            let a = fast.generate(prompts: prompts, options: o)
            expectSame(a, naive.generateLockstep(prompts: prompts, options: o))
            if stop == nil { #expect(a.allSatisfy { $0.tokens.count == 7 }) }
        }
    }

    @Test func contextLimitMatchesLockstep() throws {
        let m = try tinyModel()
        // maxLen 9: the 11-token prompt cannot sample; the others stop at the end of the context.
        let o = options(temperature: 1, maxNew: 20)
        let a = Generator(model: m, batch: prompts.count, maxLen: 9).generate(prompts: prompts, options: o)
        expectSame(a, Generator(model: m, batch: prompts.count, maxLen: 9).generateLockstep(prompts: prompts, options: o))
        #expect(a[1].tokens.isEmpty && a[2].tokens.count == 8 && a[0].tokens.count == 7)
    }

    @Test(arguments: [1, 2])
    func samplesPerPromptEqualCopiesOfEachPrompt(threads: Int) throws {
        let m = try tinyModel()
        m.parallel = Parallel(threads: threads)
        let k = 3, o = options(temperature: 1, stop: 3)
        // batch 4 < 5 prompts × 3: the samples of a prompt are split over batches.
        let grouped = Generator(model: m, batch: 4, threads: threads).generate(prompts: prompts, samplesPerPrompt: k, options: o)
        let copies = prompts.flatMap { [[Int32]](repeating: $0, count: k) }
        let naive = Generator(model: m, batch: copies.count, threads: threads).generateLockstep(prompts: copies, options: o)
        #expect(grouped.map(\.count) == [Int](repeating: k, count: prompts.count))
        expectSame(grouped.flatMap { $0 }, naive)
        // The K samples of one prompt differ (their own streams), and explicit seeds are per prompt.
        #expect(Set(grouped[1].map(\.tokens)).count > 1)
        let seeds: [UInt64] = [5, 9, 5, 100, 7]
        let seeded = Generator(model: m, batch: 8).generate(prompts: prompts, samplesPerPrompt: k, options: o, promptSeeds: seeds)
        for (i, p) in prompts.enumerated() {
            var oi = o; oi.seed = seeds[i]
            expectSame(seeded[i], Generator(model: m, batch: k).generateLockstep(prompts: [[Int32]](repeating: p, count: k), options: oi))
        }
    }

    @Test func sameSeedIsByteIdentical() throws {
        let m = try tinyModel()
        let o = options(temperature: 0.8, stop: 3)
        let a = Generator(model: m, batch: 6).generate(prompts: prompts, samplesPerPrompt: 2, options: o)
        let b = Generator(model: m, batch: 6).generate(prompts: prompts, samplesPerPrompt: 2, options: o)
        #expect(a.flatMap { $0 }.map(\.tokens) == b.flatMap { $0 }.map(\.tokens))
        #expect(a.flatMap { $0 }.map { $0.logProbs.map(\.bitPattern) } == b.flatMap { $0 }.map { $0.logProbs.map(\.bitPattern) })
        var o2 = o; o2.seed = 22
        let c = Generator(model: m, batch: 6).generate(prompts: prompts, samplesPerPrompt: 2, options: o2)
        #expect(a.flatMap { $0 }.map(\.tokens) != c.flatMap { $0 }.map(\.tokens))
    }

    @Test func cancellationIsCheckedOncePerStep() throws {
        let m = try tinyModel()
        var asked = 0
        let o = options(temperature: 1, maxNew: 7)
        let out = Generator(model: m, batch: 2).generate(prompts: [[1, 4], [1]], options: o, isCancelled: {
            asked += 1
            return asked > 3
        })
        // Asked before the prefill and after each of the first tokens: three rounds of tokens, then stop.
        #expect(asked == 4)
        #expect(out.allSatisfy { $0.tokens.count == 3 && !$0.stopped })
        let full = Generator(model: m, batch: 2).generate(prompts: [[1, 4], [1]], options: o, isCancelled: { false })
        #expect(zip(out, full).allSatisfy { Array($1.tokens.prefix(3)) == $0.tokens })
    }

    @Test(arguments: [19, 40])
    func matRowsMatchesDoublesAndIgnoresItsBatch(n: Int) {
        var rng = SeededRandom(seed: 5)
        let m = 9, cols = 7
        let x = (0..<(m * n)).map { _ in rng.nextFloat() - 0.5 }, w = (0..<(cols * n)).map { _ in rng.nextFloat() - 0.5 }
        var y = [Float](repeating: 1, count: m * cols), alone = [Float](repeating: 0, count: cols)
        x.withUnsafeBufferPointer { xp in w.withUnsafeBufferPointer { wp in
            y.withUnsafeMutableBufferPointer { matRows(wp.baseAddress!, xp.baseAddress!, $0.baseAddress!, m: m, cols: 0..<cols, n: n, ldy: cols, accumulate: true) }
            // Row 5 alone, its columns split 3 + 4 as two threads would: the same bits as in the batch of 9.
            alone.withUnsafeMutableBufferPointer { out in
                for piece in [0..<3, 3..<cols] { matRows(wp.baseAddress!, xp.baseAddress! + 5 * n, out.baseAddress!, m: 1, cols: piece, n: n, ldy: cols, accumulate: false) }
            }
        } }
        for r in 0..<m {
            for c in 0..<cols {
                let ref = 1 + (0..<n).reduce(0.0) { $0 + Double(x[r * n + $1]) * Double(w[c * n + $1]) }
                #expect(abs(Double(y[r * cols + c]) - ref) < 1e-5)
            }
        }
        #expect((0..<cols).allSatisfy { y[5 * cols + $0].bitPattern == (alone[$0] + 1).bitPattern })
    }
}
