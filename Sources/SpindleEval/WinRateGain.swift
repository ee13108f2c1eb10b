// WinRateGain.swift: what B gains over A and what it costs. Llama 2 judges RLHF by the reward it adds on
// held-out prompts at a bounded distance from the SFT policy (§3.2.3, Fig. 11); a win rate alone hides
// both the size of the gain and the drift. So beside the win/tie/loss rates:
//   gain      the mean of r_B − r_A over prompts per aspect, with a percentile bootstrap 95% interval
//             (a gain is clear when its interval excludes zero);
//   log-ratio Σ over B's answer tokens of log π_B(y_t | …) − log π_A(y_t | …), averaged over prompts: a
//             Monte-Carlo estimate of KL(π_B ‖ π_A) when B's answers are samples at temperature 1 (with
//             greedy answers it is only the log-ratio of B's mode);
//   length and repetition of both policies' answers, the first signs of reward hacking (answers that grow
//             or loop because the reward model pays for it). Repetition is the fraction of an answer's
//             token 4-grams that already occurred earlier in the same answer.
import SpindleIO
import SpindleTrainer

public enum Bootstrap {
    /// The mean of `values` and its percentile 95% interval over `resamples` resamples (with
    /// replacement, seeded). With no resamples the interval is the point.
    public static func mean(_ values: [Double], resamples: Int, seed: UInt64) -> RateInterval {
        let n = values.count
        guard n > 0 else { return RateInterval(value: .nan, low: .nan, high: .nan) }
        let point = values.reduce(0, +) / Double(n)
        guard resamples > 0 else { return RateInterval(value: point, low: point, high: point) }
        var rng = SeededRandom(seed: seed)
        var means: [Double] = []
        means.reserveCapacity(resamples)
        for _ in 0..<resamples {
            var s = 0.0
            for _ in 0..<n { s += values[Int(rng.next() % UInt64(n))] }
            means.append(s / Double(n))
        }
        means.sort()
        return RateInterval(value: point, low: percentile(means, 0.025), high: percentile(means, 0.975))
    }

    /// The `p` quantile of ascending `sorted` (nearest rank, non-empty), as both bootstraps read it.
    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        sorted[min(sorted.count - 1, max(0, Int((p * Double(sorted.count - 1)).rounded())))]
    }
}

/// How far B's answers moved from A's: log-ratio (KL estimate), lengths, repetition, EOS rates.
public struct PolicyDrift: Sendable {
    public var logRatio: RateInterval
    public var lengthA: Double, lengthB: Double
    public var repetitionA: Double, repetitionB: Double
    public var eosRateA: Double, eosRateB: Double

    /// Fraction of the token 4-grams of `tokens` that occurred earlier in `tokens` (0 for fewer than 5 tokens).
    public static func repetition(_ tokens: [Int32]) -> Double {
        guard tokens.count > 4 else { return 0 }
        var seen = Set<[Int32]>(), repeated = 0
        for i in 0...(tokens.count - 4) {
            if !seen.insert(Array(tokens[i..<(i + 4)])).inserted { repeated += 1 }
        }
        return Double(repeated) / Double(tokens.count - 3)
    }

    public var summaryLine: String {
        String(format: "drift  log π_B/π_A on B's answers %.3f [%.3f, %.3f]  length A %.1f B %.1f  repetition A %.3f B %.3f  EOS A %.2f B %.2f",
               logRatio.value, logRatio.low, logRatio.high, lengthA, lengthB, repetitionA, repetitionB, eosRateA, eosRateB)
    }

    public var json: JSONValue {
        .object([("log_ratio_b_over_a", .object([("mean", .double(logRatio.value)), ("ci95", .array([.double(logRatio.low), .double(logRatio.high)]))])),
                 ("answer_tokens", .array([.double(lengthA), .double(lengthB)])),
                 ("repetition_4gram", .array([.double(repetitionA), .double(repetitionB)])),
                 ("eos_rate", .array([.double(eosRateA), .double(eosRateB)]))])
    }
}

extension WinRate {
    /// The drift of B from A measured on both policies' answers (`responses*` end with EOS when the
    /// model stopped, as `answers` returns them).
    public static func drift(a: LlamaModel, b: LlamaModel, prompts: [WinRatePrompt], responsesA: [[Int32]], responsesB: [[Int32]],
                             resamples: Int, seed: UInt64) throws -> PolicyDrift {
        let eos = Int32(b.config.eosId)
        let sa = Scorer(model: a), sb = Scorer(model: b)
        var ratios: [Double] = []
        for (p, r) in zip(prompts, responsesB) where !r.isEmpty {
            let seq = p.tokens + r
            let la = try sa.logProbs(seq), lb = try sb.logProbs(seq)
            // log-prob index t − 1 predicts token t: the answer's tokens are p.tokens.count …
            ratios.append((p.tokens.count - 1..<seq.count - 1).reduce(0.0) { $0 + Double(lb[$1]) - Double(la[$1]) })
        }
        func stats(_ rs: [[Int32]]) -> (length: Double, repetition: Double, eos: Double) {
            let n = Double(max(rs.count, 1))
            let bodies = rs.map { $0.last == eos ? Array($0.dropLast()) : $0 }
            return (Double(bodies.reduce(0) { $0 + $1.count }) / n, bodies.reduce(0) { $0 + PolicyDrift.repetition($1) } / n,
                    Double(rs.filter { $0.last == eos }.count) / n)
        }
        let (x, y) = (stats(responsesA), stats(responsesB))
        return PolicyDrift(logRatio: Bootstrap.mean(ratios, resamples: resamples, seed: seed), lengthA: x.length, lengthB: y.length,
                           repetitionA: x.repetition, repetitionB: y.repetition, eosRateA: x.eos, eosRateB: y.eos)
    }
}
