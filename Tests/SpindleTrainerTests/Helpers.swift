// Shared helpers: finite-difference gradient checks and small fixtures.
import Foundation
import Testing
import SpindleIO
@testable import SpindleTrainer
import SpindleTestSupport

/// The thread budget the kernel tests run with (two threads, as on the machines Spindle targets).
let par2 = Parallel(threads: 2)

/// Deterministic values in [-scale, scale).
func randomArray(_ n: Int, seed: UInt64, scale: Float = 1) -> [Float] {
    var r = SeededRandom(seed: seed)
    return (0..<n).map { _ in (r.nextFloat() * 2 - 1) * scale }
}

/// Central differences of `loss` with respect to `values[i]` for i in `indices`, compared with
/// `analytic[i]`. Returns ‖a − n‖₂ / max(‖a‖₂, ‖n‖₂) over those entries (the relative error reported).
func gradientRelativeError(values: UnsafeMutablePointer<Float>, analytic: UnsafePointer<Float>, indices: [Int],
                           h: Float = 1e-3, loss: () -> Double) -> Double {
    var diff = 0.0, na = 0.0, nn = 0.0
    for i in indices {
        let old = values[i]
        values[i] = old + h; let lp = loss()
        values[i] = old - h; let lm = loss()
        values[i] = old
        let num = (lp - lm) / (2 * Double(h))
        let ana = Double(analytic[i])
        diff += (ana - num) * (ana - num); na += ana * ana; nn += num * num
    }
    return diff.squareRoot() / max(na.squareRoot(), nn.squareRoot(), 1e-12)
}

/// A tiny GQA model for gradient checks: dim 16, 2 layers, 4 heads, 2 kv heads, vocab 11.
func tinyConfig(tied: Bool = false) -> LlamaConfig {
    LlamaConfig(dim: 16, nLayers: 2, nHeads: 4, nKVHeads: 2, hiddenDim: 24, vocabSize: 11, maxSeqLen: 32,
                tieEmbeddings: tied)
}

/// A heap buffer for tests: closures read it while gradient checks poke it (no inout exclusivity).
final class Buf {
    let p: UnsafeMutablePointer<Float>
    let count: Int
    init(_ a: [Float]) { count = a.count; p = .allocate(capacity: max(1, a.count)); p.initialize(from: a, count: a.count) }
    convenience init(zeros n: Int) { self.init([Float](repeating: 0, count: n)) }
    deinit { p.deallocate() }
    var array: [Float] { Array(UnsafeBufferPointer(start: p, count: count)) }
    var all: [Int] { Array(0..<count) }
    func dot(_ r: Buf) -> Double { (0..<count).reduce(0.0) { $0 + Double(p[$1]) * Double(r.p[$1]) } }
}

/// Expects `m.grads` to match central differences of `loss` (step 1e-2, relative error < 5e-3) at
/// `samples` random entries of every tensor, drawn from `SeededRandom(seed:)`.
func expectGradientsMatchFiniteDifferences(_ m: LlamaModel, samples: Int, seed: UInt64, loss: () -> Double) {
    var r = SeededRandom(seed: seed)
    for t in m.layout.tensors {
        let idx = (0..<min(samples, t.count)).map { _ in t.offset + Int(r.next() % UInt64(t.count)) }
        let e = gradientRelativeError(values: m.params.p, analytic: m.grads.p, indices: idx, h: 1e-2, loss: loss)
        #expect(e < 5e-3, "\(t.name): relative error \(e)")
    }
}
