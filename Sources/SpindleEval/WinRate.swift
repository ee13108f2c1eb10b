// WinRate.swift: two policies answer the same held-out prompts; the reward models judge each pair
// (Llama 2 §3.4, Fig. 11: win rate judged by Meta's helpfulness and safety reward models). Per aspect a
// prompt is a win for B when r_B − r_A > margin, a loss when r_B − r_A < −margin, else a tie; the rates
// get percentile bootstrap 95% intervals (prompts resampled with replacement, seeded).
import Foundation
import SpindleIO
import SpindleTrainer

/// One held-out prompt: its text (for the page), its chat-formatted tokens, whether it is a safety prompt.
public struct WinRatePrompt: Sendable {
    public var text: String
    public var tokens: [Int32]
    public var isSafety: Bool
    public init(text: String, tokens: [Int32], isSafety: Bool) { self.text = text; self.tokens = tokens; self.isSafety = isSafety }
}

/// A rate and its bootstrap interval.
public struct RateInterval: Sendable, Equatable {
    public var value: Double, low: Double, high: Double
}

/// Win / tie / loss of B against A on one aspect.
public struct AspectOutcome: Sendable {
    public var aspect: String
    public var deltas: [Double]          // r_B − r_A per prompt
    public var win: RateInterval, tie: RateInterval, loss: RateInterval
    public var gain: RateInterval        // mean r_B − r_A with its bootstrap interval

    /// Classifies `deltas` with `margin` and bootstraps `resamples` times from `seed`.
    public init(aspect: String, deltas: [Double], margin: Double, resamples: Int, seed: UInt64) {
        self.aspect = aspect; self.deltas = deltas
        let n = deltas.count
        let cls = deltas.map { $0 > margin ? 0 : ($0 < -margin ? 2 : 1) }   // win, tie, loss
        func rates(_ idx: [Int]) -> [Double] {
            var c = [0, 0, 0]
            for i in idx { c[cls[i]] += 1 }
            return c.map { Double($0) / Double(max(idx.count, 1)) }
        }
        let point = rates(Array(0..<n))
        var rng = SeededRandom(seed: seed)
        var samples: [[Double]] = [[], [], []]
        for _ in 0..<resamples {
            let r = rates((0..<n).map { _ in Int(rng.next() % UInt64(max(n, 1))) })
            for j in 0..<3 { samples[j].append(r[j]) }
        }
        func interval(_ j: Int) -> RateInterval {
            let s = samples[j].sorted()
            guard !s.isEmpty else { return RateInterval(value: point[j], low: point[j], high: point[j]) }
            return RateInterval(value: point[j], low: Bootstrap.percentile(s, 0.025), high: Bootstrap.percentile(s, 0.975))
        }
        win = interval(0); tie = interval(1); loss = interval(2)
        gain = Bootstrap.mean(deltas, resamples: resamples, seed: seed &+ 0x9E37)
    }
}

/// Both policies' answers, their scores, and the outcome per aspect.
public struct WinRateOutcome: Sendable {
    public var prompts: [WinRatePrompt]
    public var answersA: [String], answersB: [String]
    public var scoresA: [SampleReward], scoresB: [SampleReward]
    public var aspects: [AspectOutcome]
    public var drift: PolicyDrift?       // set by the caller that has both models (WinRate.drift)
}

public enum WinRate {
    /// Answers to every prompt (greedy at temperature 0, else sampled with seed + prompt index); the
    /// response tokens end with EOS when the model stopped.
    public static func answers(_ model: LlamaModel, prompts: [WinRatePrompt], options: SamplingOptions,
                               progress: ((Int) -> Void)? = nil) -> [[Int32]] {
        let gen = Generator(model: model, batch: 1)
        let eos = Int32(model.config.eosId)
        return prompts.enumerated().map { i, p in
            var o = options
            o.seed = options.seed &+ UInt64(i); o.stopToken = eos
            let g = gen.generate(prompts: [p.tokens], options: o)[0]
            progress?(i + 1)
            return g.tokens + (g.stopped ? [eos] : [])
        }
    }

    /// Scores both policies' responses with the reward models and compares them per aspect
    /// (helpfulness; safety when a safety model is given).
    public static func compare(prompts: [WinRatePrompt], responsesA: [[Int32]], responsesB: [[Int32]], rewards: RewardPair,
                               decode: ([Int32]) -> String, margin: Double, resamples: Int, seed: UInt64) -> WinRateOutcome {
        let safety = prompts.map(\.isSafety), starts = prompts.map(\.tokens.count)
        let a = rewards.score(zip(prompts, responsesA).map { $0.tokens + $1 }, isSafety: safety, responseStarts: starts)
        let b = rewards.score(zip(prompts, responsesB).map { $0.tokens + $1 }, isSafety: safety, responseStarts: starts)
        var aspects = [AspectOutcome(aspect: "helpfulness", deltas: zip(a, b).map { $1.helpfulness - $0.helpfulness },
                                     margin: margin, resamples: resamples, seed: seed)]
        if rewards.safety != nil {
            aspects.append(AspectOutcome(aspect: "safety", deltas: zip(a, b).map { $1.safety - $0.safety },
                                         margin: margin, resamples: resamples, seed: seed &+ 1))
            // Llama 2's gated reward (§3.2.3), the one PPO and rejection sampling maximise.
            aspects.append(AspectOutcome(aspect: "combined", deltas: zip(a, b).map { $1.gated - $0.gated },
                                         margin: margin, resamples: resamples, seed: seed &+ 2))
        }
        return WinRateOutcome(prompts: prompts, answersA: responsesA.map(decode), answersB: responsesB.map(decode),
                              scoresA: a, scoresB: b, aspects: aspects)
    }
}

extension WinRateOutcome {
    /// `helpfulness  B vs A  win 0.450 [0.350, 0.550]  tie …  loss …  n 100`
    public var summaryLines: [String] {
        func f(_ r: RateInterval) -> String { String(format: "%.3f [%.3f, %.3f]", r.value, r.low, r.high) }
        return aspects.map {
            "\($0.aspect)  B vs A  win \(f($0.win))  tie \(f($0.tie))  loss \(f($0.loss))  gain \(f($0.gain))  n \(prompts.count)"
        } + (drift.map { [$0.summaryLine] } ?? [])
    }

    public func json(modelA: String, modelB: String, margin: Double, resamples: Int) -> JSONValue {
        func r(_ x: RateInterval) -> JSONValue { .object([("rate", .double(x.value)), ("ci95", .array([.double(x.low), .double(x.high)]))]) }
        return .object([
            ("model_a", .string(modelA)), ("model_b", .string(modelB)), ("prompts", .int(prompts.count)),
            ("tie_margin", .double(margin)), ("bootstrap_resamples", .int(resamples)),
            ("aspects", .object(aspects.map {
                ($0.aspect, .object([("win", r($0.win)), ("tie", r($0.tie)), ("loss", r($0.loss)), ("mean_gain", r($0.gain))]))
            })),
            ("drift", drift?.json ?? .null),
            ("pairs", .array(prompts.indices.map { i in
                .object([("prompt", .string(prompts[i].text)), ("safety_prompt", .bool(prompts[i].isSafety)),
                         ("answer_a", .string(answersA[i])), ("answer_b", .string(answersB[i])),
                         ("helpfulness", .array([.double(scoresA[i].helpfulness), .double(scoresB[i].helpfulness)])),
                         ("safety", .array([.double(scoresA[i].safety), .double(scoresB[i].safety)])),
                         ("combined", .array([.double(scoresA[i].gated), .double(scoresB[i].gated)]))])
            })),
        ])
    }
}
