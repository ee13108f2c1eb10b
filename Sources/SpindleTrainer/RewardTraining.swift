// RewardTraining.swift: a reward-model run — ranking loss with a margin table over preference pairs,
// AdamW on the Llama 2 RM schedule (cosine to 10%, warm-up 3% with at least 5 steps), held-out
// accuracy, metrics JSONL, HF-layout checkpoints (LlamaForSequenceClassification) and exact resume.
import Foundation
import SpindleIO
import SpindleShards
import SpindleIO

/// Llama 2 reward-model preset applied to a data size.
public enum RewardPreset {
    /// Warm-up: 3% of the steps, at least 5 (never more than the steps).
    public static func warmup(steps: Int) -> Int { min(steps, max(5, Int((0.03 * Double(steps)).rounded(.up)))) }
}

/// Accuracy of a reward model on pairs.
public struct RewardAccuracy: Sendable {
    public var correct = 0, total = 0
    public var byDegree = [(correct: Int, total: Int)](repeating: (0, 0), count: 4)
    public var byAspect: [String: (correct: Int, total: Int)] = [:]
    public var chosenScores: [Float] = [], rejectedScores: [Float] = []
    public var accuracy: Double { total > 0 ? Double(correct) / Double(total) : .nan }
    public init() {}

    /// Scores every pair with `rm` and counts r_c > r_r.
    public static func measure(_ rm: RewardModel, pairs: [PreferenceTokens]) -> RewardAccuracy {
        var acc = RewardAccuracy()
        let s = rm.score(pairs.flatMap { [$0.chosen, $0.rejected] }, responseStarts: pairs.flatMap { [$0.responseStart, $0.responseStart] })
        for (i, p) in pairs.enumerated() {
            let ok = s[2 * i] > s[2 * i + 1]
            acc.total += 1; if ok { acc.correct += 1 }
            acc.byDegree[p.degree].total += 1; if ok { acc.byDegree[p.degree].correct += 1 }
            acc.byAspect[p.aspect, default: (0, 0)].total += 1; if ok { acc.byAspect[p.aspect]!.correct += 1 }
            acc.chosenScores.append(s[2 * i]); acc.rejectedScores.append(s[2 * i + 1])
        }
        return acc
    }
}

public enum RewardTraining {
    /// Trains a reward model: `config.batchSize` pairs per optimiser step, each forward pass packing
    /// pairs into `config.gradAccum` rows of `config.seqLen` tokens. Starts from `initFrom` (a
    /// language model: the trunk is kept and a score head added; or a reward model) unless resuming
    /// from `config.outputDir/checkpoint`. `stopAt` ends the run early (as an interruption would).
    public static func run(config: TrainConfig, initFrom: String?, pairs: [PreferenceTokens], eval: [PreferenceTokens],
                           margins: MarginTable, head: RewardHead = RewardHead(), stamp: TokenizerStamp?, resume: Bool, stopAt: Int? = nil,
                           lora: LoRASettings? = nil, log: (String) -> Void) throws -> (steps: Int, loss: Double, evalAccuracy: Double?) {
        guard !pairs.isEmpty else { throw TrainerError.data(file: "training pairs", line: nil, message: "no preference pairs") }
        BLASBackend.shared.threads = config.threads
        let out = config.outputDir, ckpt = out + "/checkpoint"
        let lock = try RunDirectory.claim(out)
        defer { withExtendedLifetime(lock) {} }
        let parallel = Parallel(threads: config.threads)
        // With `lora` (LoRAReward.swift): adapters and the score head on the frozen trunk.
        let (model, optimizer, startState) = try startModel(config: config, initFrom: initFrom, head: head, resume: resume, ckpt: ckpt,
                                                            lora: lora, parallel: parallel, log: log)
        var state = startState
        let longest = pairs.map { max($0.chosen.count, $0.rejected.count) }.max()!
        if longest > config.seqLen {
            log("rm: note: sequences up to \(longest) tokens keep their last \(config.seqLen)")
        }
        let metrics = try MetricsLog(directory: out, resumedAt: resume ? state.step : nil)
        func emit(_ s: String) { metrics.emit(s) }

        let rm = RewardModel(model: model, rows: max(1, config.gradAccum), seqLen: config.seqLen)
        let schedule = config.schedule
        log("rm: \(pairs.count) pairs, \(eval.count) held out; \(config.batchSize) pairs per step, \(config.steps) steps, warm-up \(config.warmupSteps), margin \(margins.rawValue)")
        var history = RunHistory()
        var lastLoss = Double.nan, lastEval: Double?
        while state.step < min(config.steps, stopAt ?? Int.max) {
            let t0 = DispatchTime.now().uptimeNanoseconds
            let batch = (0..<config.batchSize).map { pairs[(state.cursor + $0) % pairs.count] }
            model.zeroTrainableGradients()
            var lossSum = 0.0, correct = 0, marginSum = 0.0
            model.lora?.training = true
            for (k, g) in rm.groups(batch).enumerated() {
                model.lora?.dropoutSeed = LoRACheckpoint.dropoutSeed(seed: config.seed, step: state.step, group: k)
                let r = rm.accumulate(g, margins: margins, lossScale: 1 / Float(batch.count))
                lossSum += r.lossSum; correct += r.correct; marginSum += r.marginSum
            }
            model.lora?.training = false
            let lr = schedule.lr(at: state.step), w = model.trainable   // with LoRA: the adapters and score head
            let norm = clipGradientNorm(w.grads, count: w.count, maxNorm: config.gradClip, parallel: parallel)
            try checkFinite(loss: lossSum, gradNorm: norm, step: state.step + 1)
            optimizer.update(params: w.params, grads: w.grads, lr: lr)
            state.step += 1
            state.cursor = (state.cursor + batch.count) % pairs.count
            let loss = lossSum / Double(batch.count)
            lastLoss = loss
            history.train.append((state.step, loss)); history.lr.append((state.step, Double(lr)))
            let secs = Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9
            emit(metricsLine([("step", .int(state.step)), ("loss", .fixed(loss, "%.6f")),
                              ("accuracy", .fixed(Double(correct) / Double(batch.count), "%.4f")),
                              ("margin", .fixed(marginSum / Double(batch.count), "%.5f")), ("lr", .fixed(Double(lr), "%.6g")),
                              ("grad_norm", .fixed(Double(norm), "%.6g")), ("seconds", .fixed(secs, "%.3f"))]))
            if state.step % max(1, config.logEvery) == 0 || state.step == 1 || state.step == config.steps {
                log(String(format: "step %d/%d  loss %.4f  acc %.3f  r_c−r_r %.3f  lr %.3g  %.2f s",
                           state.step, config.steps, loss, Double(correct) / Double(batch.count), marginSum / Double(batch.count), Double(lr), secs))
            }
            let isLast = state.step == config.steps
            if !eval.isEmpty && (isLast || (config.evalEvery > 0 && state.step % config.evalEvery == 0)) {
                let a = RewardAccuracy.measure(rm, pairs: eval)
                lastEval = a.accuracy
                history.eval.append((state.step, 1 - a.accuracy))
                emit(metricsLine([("step", .int(state.step)), ("eval_accuracy", .fixed(a.accuracy, "%.4f")), ("eval_pairs", .int(a.total))]))
                log(String(format: "eval  step %d  held-out accuracy %.3f (%d pairs)", state.step, a.accuracy, a.total))
            }
            if isLast || state.step == stopAt || (config.checkpointEvery > 0 && state.step % config.checkpointEvery == 0) {
                try model.saveRun(to: ckpt, optimizer: optimizer, state: state, stamp: stamp)   // a PEFT adapter with LoRA
                let html = Report.html(title: "spindle train rm — \(out)", config: config.json(), history: history,
                                       summary: ["steps: \(state.step) of \(config.steps)", String(format: "last loss %.4f", lastLoss),
                                                 "margin table: \(margins.rawValue)", "eval curve: 1 − held-out accuracy"] +
                                                (lastEval.map { [String(format: "held-out accuracy %.3f", $0)] } ?? []))
                try writeAtomically(Data(html.utf8), to: out + "/report.html")
            }
        }
        log("checkpoint: \(ckpt)")
        return (state.step, lastLoss, lastEval)
    }
}
