// DPOTraining.swift: a `spindle train dpo` run — the policy starts from an SFT checkpoint and the same
// checkpoint, frozen, is the reference; the reference's response log-probs come from the stored file
// (DPOReference.swift) or are computed for each batch (`refOnTheFly`). AdamW on the preset's cosine
// schedule, per-step metrics (loss, implicit rewards, reward accuracy and margin), held-out reward
// accuracy, HF-layout checkpoints with AdamW state, and exact resume — as RewardTraining does.
import Foundation
import SpindleIO
import SpindleShards

/// What a DPO run ended with.
public struct DPOSummary: Sendable {
    public var steps = 0
    public var loss = Double.nan
    public var rewardAccuracy = Double.nan      // last step's batch
    public var evalAccuracy: Double?            // held-out pairs, at the last step
    public var evalMargin: Double?
}

/// Where the reference's log-probs come from.
public enum DPOReferenceMode: Sendable, Equatable {
    /// Computed for each batch with the frozen reference in memory.
    case onTheFly
    /// Computed once; with a key, stored as OUTPUT/reference_logps.json and reused while the key matches.
    case once(key: DPOReferenceKey?)
}

public enum DPOTraining {
    /// Trains the policy `initFrom` (also the reference) on `pairs`: `config.batchSize` pairs per
    /// optimiser step, packed two sequences per pair into passes of max(2, `config.gradAccum`) rows of
    /// `config.seqLen` tokens. `evalInReferenceFile`: the stored reference file covers `pairs + eval` (a
    /// held-out tail of the same shards); otherwise `pairs` only, and `eval` is scored once in memory.
    /// `stopAt` ends the run early (as an interruption would).
    public static func run(config: TrainConfig, initFrom: String, pairs: [DPOPair], eval: [DPOPair], evalInReferenceFile: Bool = true,
                           loss: DPOLossSettings,
                           reference: DPOReferenceMode, stamp: TokenizerStamp?, resume: Bool, stopAt: Int? = nil,
                           lora: LoRASettings? = nil, log: (String) -> Void) throws -> DPOSummary {
        guard !pairs.isEmpty else { throw TrainerError.data(file: "training pairs", line: nil, message: "no preference pairs") }
        try loss.validate()
        BLASBackend.shared.threads = config.threads
        let out = config.outputDir, ckpt = out + "/checkpoint"
        let lock = try RunDirectory.claim(out)
        defer { withExtendedLifetime(lock) {} }
        let parallel = Parallel(threads: config.threads)
        let (model, optimizer, startState) = try policy(config: config, initFrom: initFrom, resume: resume, ckpt: ckpt, parallel: parallel, lora: lora)
        var state = startState
        if let a = model.lora { log("dpo: " + (try LoRACheckpoint.summary(a.settings, model: model.config)) + "; the reference is the base") }
        let scorer = DPOScorer(config: model.config, rows: config.gradAccum, seqLen: config.seqLen)
        try DPOScorer.check(pairs, t: scorer.t, name: "training pairs")
        try DPOScorer.check(eval, t: scorer.t, name: "held-out pairs")
        if let longest = (pairs + eval).map({ max($0.chosen.count, $0.rejected.count) }).max(), longest > scorer.t {
            log("dpo: note: sequences up to \(longest) tokens keep their last \(scorer.t)")
        }
        var refModel: LlamaModel?
        func frozen() throws -> LlamaModel {
            if let refModel { return refModel }
            let m = try Checkpoint.load(initFrom)
            guard m.config == model.config else {
                throw TrainerError.config(field: "init", message: "\(initFrom) (the reference) has another shape than the policy in \(ckpt)")
            }
            m.parallel = parallel
            refModel = m
            return m
        }
        let covered = evalInReferenceFile ? pairs + eval : pairs
        let trainRef = try referenceEntries(mode: reference, pairs: covered, scorer: scorer, out: out, resume: resume, frozen: frozen, log: log)
        var evalRef: [Int: DPOReferenceEntry] = [:]
        if let trainRef, evalInReferenceFile {
            for i in eval.indices { evalRef[i] = trainRef[pairs.count + i]! }
        } else if !eval.isEmpty {
            evalRef = scorer.logProbs(try frozen(), eval, Array(eval.indices))
        }
        let metrics = try MetricsLog(directory: out, resumedAt: resume ? state.step : nil)
        log("dpo: \(pairs.count) pairs, \(eval.count) held out; \(config.batchSize) pairs per step, \(config.steps) steps, warm-up \(config.warmupSteps); loss \(loss.kind.rawValue), beta \(loss.beta)\(loss.labelSmoothing > 0 ? ", label smoothing \(loss.labelSmoothing)" : ""), margins \(loss.margins.rawValue); reference \(trainRef == nil ? "on the fly" : "computed once")")
        var summary = DPOSummary()
        var history = RunHistory()
        while state.step < min(config.steps, stopAt ?? Int.max) {
            let t0 = DispatchTime.now().uptimeNanoseconds
            let batch = (0..<config.batchSize).map { (state.cursor + $0) % pairs.count }
            let ref = try trainRef ?? scorer.logProbs(try frozen(), pairs, batch)
            model.zeroTrainableGradients()
            model.lora?.training = true
            var dropoutRandom = SeededRandom(seed: config.seed ^ UInt64(state.step), stream: "lora-dropout")
            model.lora?.dropoutSeed = dropoutRandom.next()
            let st = scorer.accumulate(model, pairs, batch, ref: { ref[$0]! }, settings: loss, scale: 1 / Double(batch.count))
            model.lora?.training = false
            let lr = config.schedule.lr(at: state.step), w = model.trainable
            let norm = clipGradientNorm(w.grads, count: w.count, maxNorm: config.gradClip, parallel: parallel)
            try checkFinite(loss: st.lossSum, gradNorm: norm, step: state.step + 1)
            optimizer.update(params: w.params, grads: w.grads, lr: lr)
            state.step += 1
            state.cursor = (state.cursor + batch.count) % pairs.count
            let secs = Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9
            summary.steps = state.step
            summary.loss = st.lossSum / Double(st.pairs); summary.rewardAccuracy = Double(st.correct) / Double(st.pairs)
            history.train.append((state.step, summary.loss)); history.lr.append((state.step, Double(lr)))
            metrics.emit(stepLine(state.step, st, lr: lr, norm: norm, seconds: secs))
            if state.step % max(1, config.logEvery) == 0 || state.step == 1 || state.step == config.steps {
                let n = Double(st.pairs)
                log(String(format: "step %d/%d  loss %.4f  r_c %.4f  r_r %.4f  acc %.3f  margin %.4f  lr %.3g  %.2f s", state.step, config.steps,
                           summary.loss, st.rewardChosenSum / n, st.rewardRejectedSum / n, summary.rewardAccuracy,
                           (st.rewardChosenSum - st.rewardRejectedSum) / n, Double(lr), secs))
            }
            let isLast = state.step == config.steps
            if !eval.isEmpty && (isLast || (config.evalEvery > 0 && state.step % config.evalEvery == 0)) {
                let e = evaluate(model, scorer: scorer, pairs: eval, ref: evalRef, loss: loss)
                summary.evalAccuracy = e.accuracy; summary.evalMargin = e.margin
                history.eval.append((state.step, e.loss))
                metrics.emit(evalLine(state.step, e, pairs: eval.count))
                log(String(format: "eval  step %d  held-out loss %.4f  reward accuracy %.3f  margin %.4f (%d pairs)", state.step, e.loss, e.accuracy, e.margin, eval.count))
            }
            if isLast || state.step == stopAt || (config.checkpointEvery > 0 && state.step % config.checkpointEvery == 0) {
                try model.saveRun(to: ckpt, optimizer: optimizer, state: state, stamp: stamp)
                try writeReport(config: config, history: history, summary: summary, loss: loss)
            }
        }
        log("checkpoint: \(ckpt)")
        return summary
    }

    /// The policy with its AdamW state: resumed from `ckpt`, or a fresh copy of `initFrom`.
    /// With `lora`, adapters on the frozen `initFrom` train (a LoRA checkpoint resumes as one).
    static func policy(config: TrainConfig, initFrom: String, resume: Bool, ckpt: String, parallel: Parallel,
                       lora: LoRASettings? = nil) throws -> (LlamaModel, AdamW, TrainerState) {
        let (model, optimizer, resumed) = try LoRACheckpoint.runModel(initFrom: initFrom, lora: lora, resume: resume, checkpoint: ckpt,
                                                                       config: config, parallel: parallel)
        if let resumed { return (model, optimizer, resumed) }
        var state = TrainerState()
        state.rngState = config.seed
        return (model, optimizer, state)
    }

    /// The reference log-probs of every pair (nil: on the fly): read from OUTPUT/reference_logps.json when
    /// its key matches, else computed and (with a key) stored. On resume a changed key is refused.
    static func referenceEntries(mode: DPOReferenceMode, pairs: [DPOPair], scorer: DPOScorer, out: String, resume: Bool,
                                 frozen: () throws -> LlamaModel, log: (String) -> Void) throws -> [Int: DPOReferenceEntry]? {
        guard case .once(let key) = mode else { return nil }
        let path = out + "/" + DPOReferenceFile.name
        if let key, let stored = try DPOReferenceFile.load(path) {
            if let why = key.difference(from: stored.key) {
                if resume {
                    throw TrainerError.data(file: path, line: nil, message: "\(why) since this run started: start a new run (--overwrite)")
                }
                log("dpo: \(path): \(why); recomputing the reference log-probs")
            } else {
                log("dpo: reference log-probs from \(path)")
                return Dictionary(uniqueKeysWithValues: stored.entries.enumerated().map { ($0.offset, $0.element) })
            }
        }
        let t0 = DispatchTime.now().uptimeNanoseconds
        let entries = scorer.logProbs(try frozen(), pairs, Array(pairs.indices))
        log(String(format: "dpo: reference log-probs of %d pairs in %.1f s", pairs.count, Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9))
        if let key { try DPOReferenceFile.save(pairs.indices.map { entries[$0]! }, key: key, to: path) }
        return entries
    }

    /// Held-out DPO loss, reward accuracy (r_c > r_r) and mean reward margin r_c − r_r of the policy.
    static func evaluate(_ model: LlamaModel, scorer: DPOScorer, pairs: [DPOPair], ref: [Int: DPOReferenceEntry],
                         loss: DPOLossSettings) -> (loss: Double, accuracy: Double, margin: Double) {
        let pol = scorer.logProbs(model, pairs, Array(pairs.indices))
        var st = DPOStepStats()
        for i in pairs.indices {
            let p = pol[i]!, r = ref[i]!
            let lp = DPOPairLogProbs(chosen: p.chosen, rejected: p.rejected, refChosen: r.chosen, refRejected: r.rejected,
                                     chosenTokens: p.chosenTokens, rejectedTokens: p.rejectedTokens)
            st.add(dpoLoss(lp, degree: pairs[i].degree, settings: loss), lp)
        }
        let n = Double(st.pairs)
        return (st.lossSum / n, Double(st.correct) / n, (st.rewardChosenSum - st.rewardRejectedSum) / n)
    }

    static func writeReport(config: TrainConfig, history: RunHistory, summary: DPOSummary, loss: DPOLossSettings) throws {
        let html = Report.html(title: "spindle train dpo — \(config.outputDir)", config: config.json(), history: history,
                               summary: ["steps: \(summary.steps) of \(config.steps)", String(format: "last loss %.4f", summary.loss),
                                         "loss \(loss.kind.rawValue), beta \(loss.beta), label smoothing \(loss.labelSmoothing), margins \(loss.margins.rawValue)",
                                         "eval curve: held-out DPO loss"] +
                                        (summary.evalAccuracy.map { [String(format: "held-out reward accuracy %.3f", $0)] } ?? []))
        try writeAtomically(Data(html.utf8), to: config.outputDir + "/report.html")
    }

    static func evalLine(_ step: Int, _ e: (loss: Double, accuracy: Double, margin: Double), pairs: Int) -> String {
        metricsLine([("step", .int(step)), ("eval_loss", .fixed(e.loss, "%.6f")), ("eval_reward_accuracy", .fixed(e.accuracy, "%.4f")),
                     ("eval_reward_margin", .fixed(e.margin, "%.6f")), ("eval_pairs", .int(pairs))])
    }

    static func stepLine(_ step: Int, _ st: DPOStepStats, lr: Float, norm: Double, seconds: Double) -> String {
        let n = Double(st.pairs)
        return metricsLine([("step", .int(step)), ("loss", .fixed(st.lossSum / n, "%.6f")),
                            ("rewards_chosen", .fixed(st.rewardChosenSum / n, "%.6f")), ("rewards_rejected", .fixed(st.rewardRejectedSum / n, "%.6f")),
                            ("reward_accuracy", .fixed(Double(st.correct) / n, "%.4f")),
                            ("reward_margin", .fixed((st.rewardChosenSum - st.rewardRejectedSum) / n, "%.6f")),
                            ("logps_chosen", .fixed(st.logpChosenSum / n, "%.4f")), ("logps_rejected", .fixed(st.logpRejectedSum / n, "%.4f")),
                            ("lr", .fixed(Double(lr), "%.6g")), ("grad_norm", .fixed(norm, "%.6g")), ("seconds", .fixed(seconds, "%.3f"))])
    }
}
