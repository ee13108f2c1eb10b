// The vectorised sampler against its scalar twin in Double: same draws, same picks, same log-probs.
import Foundation
import Testing
import SpindleIO
@testable import SpindleTrainer

/// The scalar oracle: softmax at temperature T in Double, a linear cumulative scan (or the sorted
/// nucleus), and log p of the pick under the untempered distribution.
private func sampleTokenNaive(_ logits: [Float], options o: SamplingOptions, u: Float) -> (Int, Double) {
    let l = logits.map(Double.init), mx = l.max()!
    let logZ = mx + log(l.reduce(0) { $0 + exp($1 - mx) })
    if o.temperature <= 0 { return (l.firstIndex(of: mx)!, mx - logZ) }
    let e = l.map { exp(($0 - mx) / Double(o.temperature)) }
    let total = e.reduce(0, +)
    var order = Array(e.indices)
    var mass = total
    if o.topP > 0 && o.topP < 1 {
        order.sort { e[$0] > e[$1] || (e[$0] == e[$1] && $0 < $1) }
        var m = 0.0, last = order.count - 1
        for (j, i) in order.enumerated() { m += e[i]; if m > Double(o.topP) * total { last = j; break } }
        order = Array(order[...last]); mass = m
    }
    let r = Double(u) * mass
    var c = 0.0
    for i in order { c += e[i]; if r < c { return (i, l[i] - logZ) } }
    return (order.last!, l[order.last!] - logZ)
}

@Suite struct SamplerTests {
    @Test(arguments: [(Float(1), Float(1)), (0.7, 1), (1.3, 1), (1, 0.9), (0.8, 0.95), (0, 1)])
    func vectorisedSamplerAgreesWithScalarTwin(temperature: Float, topP: Float) {
        var o = SamplingOptions()
        o.temperature = temperature; o.topP = topP
        var gen = SeededRandom(seed: 42)
        var agree = 0, draws = 0
        for vocab in [5, 67, 1000, 32000] {
            let index = UnsafeMutablePointer<Int32>.allocate(capacity: vocab); defer { index.deallocate() }
            for _ in 0..<(vocab > 1000 ? 20 : 100) {
                // Peaked logits, as a trained model's: a few large, many small.
                let logits = (0..<vocab).map { _ in Float(gen.nextUnit() * 4 - 2) * (gen.nextFloat() < 0.01 ? 4 : 1) }
                var rng = SeededRandom(seed: gen.next())
                var twin = rng
                let u = o.temperature > 0 ? twin.nextFloat() : 0
                var work = logits
                let (t, lp) = work.withUnsafeMutableBufferPointer {
                    sampleToken($0.baseAddress!, vocab: vocab, options: o, rng: &rng, index: index)
                }
                let (want, wantLP) = sampleTokenNaive(logits, options: o, u: u)
                draws += 1
                if Int(t) == want { agree += 1 }
                // Whatever was picked, its log-prob is the model's.
                let l = logits.map(Double.init), mx = l.max()!
                let logZ = mx + log(l.reduce(0) { $0 + exp($1 - mx) })
                #expect(abs(Double(lp) - (l[Int(t)] - logZ)) < 2e-4)
                if Int(t) == want { #expect(abs(Double(lp) - wantLP) < 2e-4) }
            }
        }
        // Float sums in another order may move a pick across a cumulative boundary, very rarely.
        #expect(agree >= draws - 2, "\(agree) of \(draws) picks equal the scalar twin's")
    }

    @Test func samplingFrequenciesFollowTheTemperedSoftmax() {
        let logits: [Float] = [0, 1, 2, 0.5, -1, 1.5, 0.2, 0.1, 3, -2]
        let vocab = logits.count, n = 40000
        var o = SamplingOptions(); o.temperature = 0.8; o.topP = 1
        var rng = SeededRandom(seed: 7)
        var counts = [Int](repeating: 0, count: vocab)
        let index = UnsafeMutablePointer<Int32>.allocate(capacity: vocab); defer { index.deallocate() }
        for _ in 0..<n {
            var work = logits
            let (t, _) = work.withUnsafeMutableBufferPointer { sampleToken($0.baseAddress!, vocab: vocab, options: o, rng: &rng, index: index) }
            counts[Int(t)] += 1
        }
        let e = logits.map { exp(Double($0) / 0.8) }, z = e.reduce(0, +)
        for i in 0..<vocab {
            let p = e[i] / z, sd = (p * (1 - p) / Double(n)).squareRoot()
            #expect(abs(Double(counts[i]) / Double(n) - p) < 5 * sd + 1e-4, "token \(i)")
        }
    }
}
