// The whole model: finite differences through every tensor, packing equivalence, overfitting.
import Testing
import SpindleIO
@testable import SpindleTrainer

/// A tiny model with larger-than-default weights so gradients are well above fp32 noise.
func tinyModel(tied: Bool = false, seed: UInt64 = 1) throws -> LlamaModel {
    let m = try LlamaModel(config: tinyConfig(tied: tied), seed: seed)
    var r = SeededRandom(seed: seed &+ 100)
    for t in m.layout.tensors {
        for i in 0..<t.count {
            m.params.p[t.offset + i] = t.shape.count == 1 ? 1 + (r.nextFloat() - 0.5) * 0.4 : (r.nextFloat() - 0.5) * 0.6
        }
    }
    return m
}

@Suite struct ModelGradientTests {
    @Test(arguments: [false, true])
    func wholeModelFiniteDifferences(tied: Bool) throws {
        let m = try tinyModel(tied: tied)
        let a = Activations(config: m.config, b: 2, t: 7)
        let tokens: [Int32] = [1, 5, 9, 3, 3, 7, 2, 4, 4, 10, 0, 6, 8, 1]
        let segments: [Int32] = [0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0]   // row 0 packs two documents
        a.load(tokens: tokens, segments: segments)
        m.zeroGradients()
        m.forwardBackward(a, lossScale: 1)
        var r = SeededRandom(seed: 3)
        var worst = 0.0
        for t in m.layout.tensors {
            let idx = (0..<min(12, t.count)).map { _ in t.offset + Int(r.next() % UInt64(t.count)) }
            let e = gradientRelativeError(values: m.params.p, analytic: m.grads.p, indices: idx, h: 1e-2) {
                m.loss(a).lossSum
            }
            #expect(e < 5e-3, "\(t.name): relative error \(e)")
            worst = max(worst, e)
        }
        print("whole model (tied: \(tied)) worst per-tensor relative error \(worst)")
    }

    @Test func packedRowEqualsItsSegmentsRunSeparately() throws {
        let m = try tinyModel()
        let docA: [Int32] = [1, 4, 6, 2, 9], docB: [Int32] = [1, 7, 3]
        // Packed: one row of 8 = A + B.
        let packed = Activations(config: m.config, b: 1, t: 8)
        packed.load(tokens: docA + docB, segments: [0, 0, 0, 0, 0, 1, 1, 1])
        m.zeroGradients()
        let lp = m.forwardBackward(packed, lossScale: 1)
        let gPacked = Array(m.gradients)
        // Separately: each document alone in its own row.
        var lossSum = 0.0, targets = 0
        m.zeroGradients()
        for doc in [docA, docB] {
            let a = Activations(config: m.config, b: 1, t: doc.count)
            a.load(tokens: doc)
            let l = m.forwardBackward(a, lossScale: 1)
            lossSum += l.lossSum; targets += l.targets
        }
        let gSep = Array(m.gradients)
        #expect(lp.targets == targets && targets == 4 + 2)
        #expect(abs(lp.lossSum - lossSum) < 1e-4 * abs(lossSum), "packed \(lp.lossSum) separate \(lossSum)")
        let maxDiff = zip(gPacked, gSep).map { abs($0 - $1) }.max()!
        let maxG = gSep.map(abs).max()!
        #expect(maxDiff < 1e-5 * max(1, maxG) * 10, "max grad diff \(maxDiff) (max |g| \(maxG))")
    }

    @Test func lossMaskSelectsTargets() throws {
        let m = try tinyModel()
        let a = Activations(config: m.config, b: 1, t: 6)
        a.load(tokens: [1, 2, 3, 4, 5, 6], segments: [0, 0, 0, 0, 0, 0], lossMask: [0, 0, 0, 1, 1, 0])
        #expect(Array(UnsafeBufferPointer(start: a.targets, count: 6)) == [-1, -1, 4, 5, -1, -1])
        #expect(a.targetCount == 2)
    }

    @Test func gradientsAreBitwiseReproducible() throws {
        func run() throws -> [Float] {
            let m = try tinyModel(seed: 5)
            let a = Activations(config: m.config, b: 2, t: 7)
            a.load(tokens: (0..<14).map { Int32($0 % 11) })
            m.forwardBackward(a, lossScale: 0.1)
            return Array(m.gradients)
        }
        #expect(try run() == run())
    }
}
