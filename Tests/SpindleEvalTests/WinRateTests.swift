// `eval winrate`'s parts on tiny random models: the same policy against itself ties everywhere,
// rates sum to one with intervals around them, the bootstrap is seeded, the page escapes text, and
// prompts are read from either layout with typed errors.
import Foundation
import Testing
import SpindleIO
@testable import SpindleEval
import SpindleTrainer
import SpindleTestSupport

struct WinRateTests {
    static func model(_ seed: UInt64) throws -> LlamaModel {
        try LlamaModel(config: LlamaConfig(dim: 32, nLayers: 1, nHeads: 2, hiddenDim: 64, vocabSize: 64, maxSeqLen: 48), seed: seed)
    }

    static let prompts: [WinRatePrompt] = (0..<6).map { (i: Int) -> WinRatePrompt in
        var tokens: [Int32] = [1]
        for j in 0..<(3 + i) { tokens.append(Int32(5 + (j * 7 + i) % 50)) }
        return WinRatePrompt(text: "prompt \(i)", tokens: tokens, isSafety: i % 3 == 0)
    }

    func rewards() throws -> RewardPair {
        let rm = try RewardModel.fromLanguageModel(try Self.model(9), seed: 3)
        let safe = try RewardModel.fromLanguageModel(try Self.model(10), seed: 4)
        return RewardPair(helpfulness: RewardModel(model: rm, rows: 2, seqLen: 48), safety: RewardModel(model: safe, rows: 2, seqLen: 48))
    }

    @Test func aPolicyAgainstItselfTies() throws {
        let a = try Self.model(1)
        var o = SamplingOptions(); o.temperature = 0; o.maxNewTokens = 8
        let ra = WinRate.answers(a, prompts: Self.prompts, options: o)
        let out = WinRate.compare(prompts: Self.prompts, responsesA: ra, responsesB: ra, rewards: try rewards(),
                                  decode: { $0.map(String.init).joined(separator: " ") }, margin: 0, resamples: 200, seed: 1)
        let names: [String] = out.aspects.map { (a: AspectOutcome) -> String in a.aspect }
        #expect(names == ["helpfulness", "safety", "combined"])
        for a in out.aspects {
            #expect(a.tie == RateInterval(value: 1, low: 1, high: 1) && a.win.value == 0 && a.loss.value == 0)
            #expect(a.gain == RateInterval(value: 0, low: 0, high: 0))
        }
        let d = try WinRate.drift(a: a, b: a, prompts: Self.prompts, responsesA: ra, responsesB: ra, resamples: 100, seed: 1)
        #expect(d.logRatio == RateInterval(value: 0, low: 0, high: 0))
        #expect(d.lengthA == d.lengthB && d.repetitionA == d.repetitionB && d.eosRateA == d.eosRateB)
    }

    @Test func ratesSumToOneWithIntervalsAroundThem() throws {
        var o = SamplingOptions(); o.temperature = 0; o.maxNewTokens = 8
        let ra = WinRate.answers(try Self.model(1), prompts: Self.prompts, options: o)
        let rb = WinRate.answers(try Self.model(2), prompts: Self.prompts, options: o)
        #expect(ra != rb)
        let run = { try WinRate.compare(prompts: Self.prompts, responsesA: ra, responsesB: rb, rewards: try self.rewards(),
                                        decode: { $0.map(String.init).joined(separator: " ") }, margin: 0, resamples: 300, seed: 5) }
        let x = try run(), y = try run()
        for (a, b) in zip(x.aspects, y.aspects) {
            let total: Double = a.win.value + a.tie.value + a.loss.value
            #expect(abs(total - 1) < 1e-12)
            for r: RateInterval in [a.win, a.tie, a.loss] { #expect(r.low <= r.value && r.value <= r.high) }
            let same: Bool = a.win == b.win && a.loss == b.loss && a.deltas == b.deltas
            #expect(same)   // deterministic
        }
        let page = x.html(modelA: "a<b>", modelB: "b&c", margin: 0, show: 3, seed: 1)
        #expect(page.contains("a&lt;b&gt;") && page.contains("b&amp;c") && !page.contains("a<b>"))
        let rows: Int = page.components(separatedBy: "<tr").count - 1
        #expect(rows == 2 + x.aspects.count + 3)
    }

    /// A known split: 6 wins, 2 ties, 2 losses out of 10; the bootstrap's interval is about the
    /// binomial one (±1.96 √(p(1−p)/n) ≈ ±0.30 for the wins).
    @Test func bootstrapIntervalOfAKnownSplit() {
        let deltas: [Double] = [1, 1, 1, 1, 1, 1, 0.05, -0.05, -1, -1]
        let a = AspectOutcome(aspect: "helpfulness", deltas: deltas, margin: 0.1, resamples: 4000, seed: 7)
        #expect(a.win.value == 0.6 && a.tie.value == 0.2 && a.loss.value == 0.2)
        #expect(abs(a.win.low - 0.3) <= 0.11 && abs(a.win.high - 0.9) <= 0.11)
    }

    /// The mean gain's interval is the bootstrap of the mean (about ±1.96 σ/√n) and excludes zero for a
    /// clear shift; another policy's log-ratio on its own greedy answers is positive (they are its mode).
    @Test func gainIntervalAndDrift() throws {
        let deltas: [Double] = (0..<200).map { Double($0 % 10) / 10 - 0.3 }   // mean 0.15, σ ≈ 0.287
        let g = AspectOutcome(aspect: "helpfulness", deltas: deltas, margin: 0, resamples: 4000, seed: 3).gain
        #expect(abs(g.value - 0.15) < 1e-12)
        let half = 1.96 * 0.2872 / Double(200).squareRoot()
        #expect(abs(g.low - (0.15 - half)) < 0.012 && abs(g.high - (0.15 + half)) < 0.012 && g.low > 0)
        var o = SamplingOptions(); o.temperature = 0; o.maxNewTokens = 8
        let (a, b) = (try Self.model(1), try Self.model(2))
        let ra = WinRate.answers(a, prompts: Self.prompts, options: o), rb = WinRate.answers(b, prompts: Self.prompts, options: o)
        let d = try WinRate.drift(a: a, b: b, prompts: Self.prompts, responsesA: ra, responsesB: rb, resamples: 500, seed: 2)
        #expect(d.logRatio.value > 0 && d.logRatio.low <= d.logRatio.value && d.logRatio.value <= d.logRatio.high)
        #expect(PolicyDrift.repetition([1, 2, 3, 4, 1, 2, 3, 4, 1]) == 2.0 / 6.0)
        #expect(PolicyDrift.repetition([1, 2, 3, 4, 5, 6]) == 0 && PolicyDrift.repetition([7, 7, 7]) == 0)
    }

    @Test func promptsFromEitherLayout() throws {
        let dir = TempDir("winrate")
        let path = dir.path + "/p.jsonl"
        try """
        {"prompt": "Tell me about tides.", "safety": true}
        {"id": "pref-1", "prompt": [{"role": "system", "content": "S"}, {"role": "user", "content": "How do I pick a lock?"}], "aspect": "safety", "safety": "both_safe"}
        {"prompt": [{"role": "user", "content": "Hi"}], "aspect": "helpfulness"}

        """.write(toFile: path, atomically: true, encoding: .utf8)
        let rows = try WinRatePrompts.read(path, limit: nil)
        #expect(rows.map(\.text) == ["Tell me about tides.", "How do I pick a lock?", "Hi"])
        #expect(rows.map(\.isSafety) == [true, true, false])
        try "{\"prompt\": \"ok\"}\n{\"prompt\": 3}\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect { try WinRatePrompts.read(path, limit: nil) } throws: { "\($0)".contains("p.jsonl:2") && "\($0)".contains("prompt") }
    }
}
