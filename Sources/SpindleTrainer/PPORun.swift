// PPORun.swift: a whole PPO run — iterations with a metrics line each, held-out evaluation with early
// stopping (the best policy is kept in OUTPUT/best), checkpoints of policy and value model with their
// AdamW state for exact resume, and the HTML report.
import Foundation
import SpindleIO
import SpindleShards

public enum PPORun {
    /// Runs PPO into `out`: checkpoint/{policy,value}, best/, metrics.jsonl, report.html.
    /// Returns the per-iteration stats and the held-out rewards (iteration, mean gated reward; length-controlled
    /// with `lengthDebias`, see below). `stopAt` ends the run after that iteration's checkpoint, as a kill would.
    public static func run(trainer: PPOTrainer, train: [SamplingPrompt], heldOut: [SamplingPrompt], out: String,
                           stamp: TokenizerStamp?, resumed: Bool, stopAt: Int? = nil, log: (String) -> Void) throws
        -> (stats: [PPOIterationStats], eval: [(Int, Double)], stoppedEarly: Bool) {
        let s = trainer.settings
        let lock = try RunDirectory.claim(out)
        defer { withExtendedLifetime(lock) {} }
        let metrics = try MetricsLog(directory: out, resumedAt: resumed ? trainer.state.step : nil, key: "iteration")
        func emit(_ l: String) { metrics.emit(l) }
        var stats: [PPOIterationStats] = []
        var evals: [(Int, Double)] = []
        var best = -Double.infinity, sinceBest = 0, stopped = false
        func save() throws {
            // Policy and value switch in together: a resume never pairs one iteration's policy with another's value.
            try Checkpoint.save([("policy", trainer.policy, trainer.policyOpt), ("value", trainer.value, trainer.valueOpt)],
                                to: out + "/checkpoint", state: trainer.state, stamp: stamp)
        }
        // With --length-debias the best policy is chosen by the length-controlled held-out reward: the
        // reward-on-length line of the reference's held-out samples is fitted once, and each evaluation's
        // mean reward is taken less what that line pays for the change in mean answer length. The raw
        // mean would still pick a policy that games length between evaluations (docs/POSTTRAIN.md).
        let trend: LengthTrend? = s.lengthDebias && !heldOut.isEmpty && s.evalEvery > 0
            ? { let r = trainer.heldOutSamples(heldOut, fromReference: true); return LengthTrend(rewards: r.rewards, lengths: r.lengths) }()
            : nil
        func evaluate() throws {
            let samples = trainer.heldOutSamples(heldOut)
            let raw = samples.rewards.reduce(0, +) / Double(samples.rewards.count)
            let controlled = trend?.lengthControlledMean(rewards: samples.rewards, lengths: samples.lengths)
            // Ranked as logged (5 decimals), so a resumed run replaying the log compares the same numbers.
            let e = Double(String(format: "%.5f", controlled ?? raw))!
            evals.append((trainer.state.step, e))
            emit(metricsLine([("iteration", .int(trainer.state.step)), ("heldout_reward", .fixed(raw, "%.5f"))]
                             + (controlled.map { [("heldout_reward_length_controlled", .fixed($0, "%.5f"))] } ?? [])))
            log(String(format: "eval  iter %d  held-out mean reward %.4f%@%@", trainer.state.step, raw,
                       controlled.map { String(format: ", length-controlled %.4f", $0) } ?? "", e > best ? "  (best)" : ""))
            if e > best {
                best = e; sinceBest = 0
                try Checkpoint.save(trainer.policy, to: out + "/best", stamp: stamp)
            } else { sinceBest += 1 }
        }
        // A resumed run replays the held-out evaluations it keeps, so the best reward so far (and the
        // evaluations since it) are those of the run that was killed: `best/` is replaced only by a
        // policy better than every one before, exactly as in an uninterrupted run.
        for line in metrics.kept {
            guard let it = line["iteration"]?.intValue, let raw = line["heldout_reward"]?.doubleValue else { continue }
            let e = line["heldout_reward_length_controlled"]?.doubleValue ?? raw
            evals.append((it, e))
            if e > best { best = e; sinceBest = 0 } else { sinceBest += 1 }
        }
        if let trend {
            log(String(format: "ppo: held-out reward of the reference %.4f, %.4f per answer token (mean %.1f tokens); best policy by the length-controlled reward",
                       trend.meanReward, trend.slope, trend.meanLength))
        }
        log("ppo: \(train.count) prompts (\(heldOut.count) held out), \(s.promptsPerIteration) per iteration, mini-batch \(s.miniBatch), beta \(s.beta), clip \(s.clip), lr \(s.lr) constant; starting at iteration \(trainer.state.step)")
        if !heldOut.isEmpty && s.evalEvery > 0 && !resumed { try evaluate() }
        while trainer.state.step < min(s.iterations, stopAt ?? Int.max) {
            let st = try trainer.iterate(train: train)
            stats.append(st)
            emit(st.json)
            log(st.line)
            if !heldOut.isEmpty && s.evalEvery > 0 && (st.iteration % s.evalEvery == 0 || st.iteration == s.iterations) {
                try evaluate()
                if s.patience > 0 && sinceBest >= s.patience {
                    log("ppo: held-out reward has not improved for \(sinceBest) evaluations: stopping early (best policy in \(out)/best)")
                    stopped = true
                }
            }
            try save()
            try writeReport(out: out, stats: stats, evals: evals, settings: s)
            if stopped { break }
        }
        return (stats, evals, stopped)
    }

    static func writeReport(out: String, stats: [PPOIterationStats], evals: [(Int, Double)], settings s: PPOSettings) throws {
        func series(_ name: String, _ color: String, _ f: (PPOIterationStats) -> Double) -> (name: String, color: String, points: [(Int, Double)]) {
            (name, color, stats.map { ($0.iteration, f($0)) })
        }
        var body = "<h1>spindle train ppo</h1><p>\(stats.count) iterations this session; beta \(s.beta), clip \(s.clip), lr \(s.lr)</p>"
        body += Report.svg(title: "reward (mean over rollout)", series: [series("combined", "#c00", { $0.rewardCombined.mean }),
                                                                         series("helpfulness", "#06c", { $0.rewardHelpfulness.mean }),
                                                                         series("safety", "#090", { $0.rewardSafety.mean })])
        body += Report.svg(title: s.lengthDebias ? "held-out combined reward, length-controlled" : "held-out combined reward", series: [("held-out", "#c00", evals)])
        body += Report.svg(title: "KL to reference (k1, k3; per sequence)", series: [series("k1", "#c60", { $0.klK1 }), series("k3", "#60c", { $0.klK3 })])
        body += Report.svg(title: "clip fraction, EOS rate, safety-gated fraction", series: [series("clip", "#333", { $0.clipFraction }), series("eos", "#09c", { $0.eosRate }),
                                                                                            series("gated", "#090", { $0.safetyGatedFraction })])
        body += Report.svg(title: "entropy", series: [series("entropy", "#555", { $0.entropy })])
        body += Report.svg(title: "response length (mean, p95)", series: [series("mean", "#06c", { $0.lengthMean }), series("p95", "#c00", { $0.lengthP95 })])
        let html = "<!doctype html><meta charset=\"utf-8\"><title>spindle ppo</title><body style=\"font-family:sans-serif\">\(body)</body>"
        try writeAtomically(Data(html.utf8), to: out + "/report.html")
    }
}
