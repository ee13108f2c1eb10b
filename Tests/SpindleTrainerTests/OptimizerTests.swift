// AdamW, the schedule, clipping, accumulation, overfitting, exact resume.
import Foundation
import Testing
import SpindleIO
@testable import SpindleTrainer
import SpindleTestSupport

func tinyTrainConfig(steps: Int = 30, accum: Int = 1, batch: Int = 2, seqLen: Int = 8) -> TrainConfig {
    var c = TrainConfig(model: tinyConfig())
    c.seqLen = seqLen; c.batchSize = batch; c.gradAccum = accum; c.steps = steps
    c.lr = 1e-2; c.warmupSteps = 3; c.seed = 7
    return c
}

func tinySource(rows: Int = 4, seqLen: Int = 8, seed: UInt64 = 1) -> InMemoryBatchSource {
    var r = SeededRandom(seed: seed)
    return InMemoryBatchSource(rows: (0..<rows).map { _ in
        TrainingRow(tokens: (0..<seqLen).map { _ in Int32(r.next() % 11) }, segmentIds: [Int32](repeating: 0, count: seqLen))
    })
}

@Suite struct OptimizerTests {
    @Test func adamwMatchesTheTorchFormula() {
        let layout = ParameterLayout(tinyConfig())
        let opt = AdamW(layout: layout, parallel: par2)
        let n = layout.totalCount
        let p = Buf(randomArray(n, seed: 1)), g = Buf(randomArray(n, seed: 2))
        let p0 = p.array, lr: Float = 0.01
        opt.update(params: p.p, grads: g.p, lr: lr)
        opt.update(params: p.p, grads: g.p, lr: lr)
        // Two steps by hand in Double for one decayed and one non-decayed coordinate.
        for (idx, decays) in [(layout.layers[0].wq, true), (layout.embed, false), (layout.finalNorm + 1, false)] {
            var x = Double(p0[idx]), m = 0.0, v = 0.0
            let gi = Double(g.p[idx])
            for t in 1...2 {
                if decays { x *= 1 - Double(lr) * 0.1 }
                m = 0.9 * m + 0.1 * gi; v = 0.95 * v + 0.05 * gi * gi
                x -= Double(lr) / (1 - pow(0.9, Double(t))) * m / (v.squareRoot() / (1 - pow(0.95, Double(t))).squareRoot() + 1e-5)
            }
            #expect(abs(Double(p.p[idx]) - x) < 1e-6, "index \(idx) decays \(decays)")
        }
        #expect(layout.tensors.filter(\.decays).allSatisfy { $0.shape.count == 2 && $0.name != "model.embed_tokens.weight" })
    }

    @Test func cosineScheduleWarmsUpAndFloorsAtTenPercent() {
        let s = CosineSchedule(peak: 1, warmupSteps: 10, totalSteps: 110)
        #expect(abs(s.lr(at: 0) - 0.1) < 1e-6 && s.lr(at: 9) == 1)
        #expect(abs(s.lr(at: 60) - 0.55) < 1e-5)          // halfway: floor + (1 − floor)/2
        #expect(abs(s.lr(at: 110) - 0.1) < 1e-6 && abs(s.lr(at: 500) - 0.1) < 1e-6)
        #expect((10..<110).allSatisfy { s.lr(at: $0) >= s.lr(at: $0 + 1) })
    }

    @Test func clippingScalesToTheMaximumNorm() {
        let g = Buf([3, 4, 0, 0])
        #expect(clipGradientNorm(g.p, count: 4, maxNorm: 1, parallel: par2) == 5)
        #expect(abs(g.p[0] - 0.6) < 1e-6 && abs(g.p[1] - 0.8) < 1e-6)
        let small = Buf([0.3, 0.4])
        clipGradientNorm(small.p, count: 2, maxNorm: 1, parallel: par2)
        #expect(small.array == [0.3, 0.4])
    }

    @Test func accumulationEqualsOneBigBatch() throws {
        let src = tinySource()
        let big = try Trainer(config: tinyTrainConfig(accum: 1, batch: 4), source: src)
        let acc = try Trainer(config: tinyTrainConfig(accum: 2, batch: 2), source: src)
        let r1 = try big.step(), r2 = try acc.step()
        #expect(abs(r1.loss - r2.loss) < 1e-5 && abs(r1.gradNorm - r2.gradNorm) < 1e-4 * r1.gradNorm)
        let d = zip(big.model.parameters, acc.model.parameters).map { abs($0 - $1) }.max()!
        #expect(d < 1e-5, "max weight difference after one step \(d)")
    }

    @Test func tinyModelOverfitsATinyBatch() throws {
        var c = tinyTrainConfig(steps: 150)
        c.lr = 3e-2; c.adamw.weightDecay = 0
        let t = try Trainer(config: c, source: tinySource(rows: 2))
        var first = 0.0, last = 0.0
        for i in 0..<150 { let r = try t.step(); if i == 0 { first = r.loss }; last = r.loss }
        #expect(first > 2 && last < 0.05, "loss \(first) → \(last)")
    }

    @Test func killedAndResumedRunEqualsUninterruptedRun() throws {
        let src = tinySource(rows: 6)
        let c = tinyTrainConfig(steps: 10)
        let straight = try Trainer(config: c, source: src)
        for _ in 0..<10 { try straight.step() }
        let tmp = TempDir("resume"); defer { tmp.cleanup() }
        let dir = tmp.sub("run")
        do {
            let first = try Trainer(config: c, source: src)
            for _ in 0..<4 { try first.step() }
            try first.save(to: dir)
        }   // the first process is gone
        let resumed = try Trainer.resuming(from: dir, config: c, source: src)
        #expect(resumed.state.step == 4 && resumed.state.cursor == 8 % 6)
        for _ in 0..<6 { try resumed.step() }
        #expect(Array(resumed.model.parameters) == Array(straight.model.parameters))   // bitwise
        #expect(Array(resumed.optimizer.secondMoment) == Array(straight.optimizer.secondMoment))
    }

    @Test func vocabularyMismatchIsAClearError() throws {
        let src = InMemoryBatchSource(rows: [TrainingRow(tokens: [1, 2, 3, 40, 1, 2, 3, 4], segmentIds: [Int32](repeating: 0, count: 8))])
        #expect(throws: TrainerError.self) { try Trainer(config: tinyTrainConfig(), source: src) }
    }
}
