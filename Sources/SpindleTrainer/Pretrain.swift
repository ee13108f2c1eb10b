// Pretrain.swift: a whole run — steps, progress on stderr, metrics JSONL, periodic eval and
// checkpoints, the HTML report — and the random-token benchmark.
import Foundation
import SpindleIO
import SpindleShards

/// Output of a finished run.
public struct RunSummary: Sendable {
    public let steps: Int
    public let finalLoss: Double
    public let evalLoss: Double?
    public let tokensPerSecond: Double
}

public enum Pretrain {
    /// Trains `config.steps` steps (continuing from `resumeFrom` when given), writing into
    /// `config.outputDir`: metrics.jsonl, checkpoint/ (HF layout + optimizer + state), report.html.
    public static func run(config: TrainConfig, train: TrainingBatchSource, eval: TrainingBatchSource?,
                           resumeFrom: String? = nil, stamp: TokenizerStamp? = nil, log: (String) -> Void) throws -> RunSummary {
        let out = config.outputDir
        let lock = try RunDirectory.claim(out)
        defer { withExtendedLifetime(lock) {} }
        let trainer = try resumeFrom.map { try Trainer.resuming(from: $0, config: config, source: train) }
            ?? Trainer(config: config, source: train)
        trainer.stamp = stamp
        let ckpt = out + "/checkpoint"
        let metrics = try MetricsLog(directory: out, resumedAt: resumeFrom == nil ? nil : trainer.state.step)
        func emit(_ line: String) { metrics.emit(line) }

        var history = RunHistory()
        let m = config.model
        log("model: \(m.parameterCount) parameters, dim \(m.dim), \(m.nLayers) layers, \(m.nHeads) heads (\(m.nKVHeads) kv), hidden \(m.hiddenDim), vocab \(m.vocabSize)")
        log("blas: \(BLASBackend.shared.summary)")
        log("data: \(train.rowCount) rows of \(train.seqLen) tokens; \(config.tokensPerStep) tokens per step; starting at step \(trainer.state.step)")
        var lastLoss = Double.nan, lastEval: Double?
        var tokTime = 0.0, tokCount = 0
        while trainer.state.step < config.steps {
            let r = try trainer.step()
            lastLoss = r.loss
            tokTime += r.seconds; tokCount += r.tokens
            history.train.append((r.step, r.loss)); history.lr.append((r.step, Double(r.lr)))
            let tps = Double(r.tokens) / r.seconds
            emit(metricsLine([("step", .int(r.step)), ("loss", .fixed(r.loss, "%.6f")), ("lr", .fixed(Double(r.lr), "%.6g")),
                              ("grad_norm", .fixed(r.gradNorm, "%.6g")), ("tokens_per_s", .fixed(tps, "%.1f")),
                              ("tokens_seen", .int(trainer.state.tokensSeen))]))
            if r.step % max(1, config.logEvery) == 0 || r.step == 1 || r.step == config.steps {
                log(String(format: "step %d/%d  loss %.4f  lr %.3g  grad-norm %.3g  %.0f tokens/s",
                           r.step, config.steps, r.loss, Double(r.lr), r.gradNorm, tps))
            }
            if let eval, config.evalEvery > 0, r.step % config.evalEvery == 0 || r.step == config.steps {
                let e = try trainer.evaluate(on: eval, batches: config.evalBatches)
                lastEval = e.loss
                history.eval.append((r.step, e.loss))
                emit(metricsLine([("step", .int(r.step)), ("eval_loss", .fixed(e.loss, "%.6f")),
                                  ("eval_perplexity", .fixed(e.perplexity, "%.4f"))]))
                log(String(format: "eval  step %d  loss %.4f  perplexity %.2f", r.step, e.loss, e.perplexity))
            }
            if config.checkpointEvery > 0 && r.step % config.checkpointEvery == 0 || r.step == config.steps {
                try trainer.save(to: ckpt)
                try writeReport(config: config, history: history, trainer: trainer, out: out, tps: Double(tokCount) / max(tokTime, 1e-9))
            }
        }
        log("checkpoint: \(ckpt)  report: \(out)/report.html  metrics: \(metrics.path)")
        return RunSummary(steps: trainer.state.step, finalLoss: lastLoss, evalLoss: lastEval,
                          tokensPerSecond: Double(tokCount) / max(tokTime, 1e-9))
    }

    static func writeReport(config: TrainConfig, history: RunHistory, trainer: Trainer, out: String, tps: Double) throws {
        var summary = ["steps: \(trainer.state.step) of \(config.steps)", "tokens seen: \(trainer.state.tokensSeen)",
                       String(format: "throughput: %.0f tokens/s", tps), "blas: \(BLASBackend.shared.summary)"]
        if let l = history.train.last { summary.append(String(format: "last train loss: %.4f", l.loss)) }
        if let e = history.eval.last { summary.append(String(format: "last eval loss: %.4f (perplexity %.2f)", e.loss, exp(e.loss))) }
        let html = Report.html(title: "spindle train pretrain — \(config.outputDir)", config: config.json(), history: history, summary: summary)
        try writeAtomically(Data(html.utf8), to: out + "/report.html")
    }

    /// FLOPs per trained token (forward + backward): 6 × matmul parameters + 12·L·T·dim for attention
    /// (the count ../shared/bench/peers/torch_train_bench.py uses).
    public static func flopsPerToken(_ m: LlamaConfig, seqLen: Int) -> Double {
        let embedLookup = m.tieEmbeddings ? 0 : m.vocabSize * m.dim
        return 6 * Double(m.parameterCount - embedLookup) + 12 * Double(m.nLayers * seqLen * m.dim)
    }

    /// `steps` timed steps (after one warm-up) on random tokens; returns lines to print, last `tokens/s: X`.
    /// With `lora`, adapters train on the frozen random model (LoRA's step time and memory).
    public static func benchmark(config: TrainConfig, steps: Int, lora: LoRASettings? = nil, log: (String) -> Void) throws -> [String] {
        let src = RandomTokenBatchSource(seqLen: config.seqLen, vocab: config.model.vocabSize, seed: config.seed)
        let model = try LlamaModel(config: config.model, seed: config.seed)
        if let lora { model.lora = try LoRAAdapters(config: config.model, settings: lora, seed: config.seed) }
        let t = try Trainer(config: config, source: src, model: model)
        let m = config.model
        log("model: \(m.parameterCount) parameters; batch \(config.batchSize)×\(config.gradAccum) × seq \(config.seqLen); \(config.threads) threads")
        if let lora { log(try LoRACheckpoint.summary(lora, model: m)) }
        log("blas: \(BLASBackend.shared.summary)")
        let peak = BLASBackend.shared.measureSgemm(size: 1024)
        log("warm-up step…")
        try t.step()
        var times: [Double] = []
        Profile.reset()
        for i in 0..<steps {
            let r = try t.step()
            times.append(r.seconds)
            log(String(format: "step %d/%d  %.0f ms  loss %.4f", i + 1, steps, r.seconds * 1000, r.loss))
        }
        let best = times.min() ?? .nan, median = times.sorted()[times.count / 2]
        let tokens = Double(config.tokensPerStep)
        let tps = tokens / best
        let mfu = flopsPerToken(m, seqLen: config.seqLen) * tps / 1e9 / peak
        if Profile.enabled { log(Profile.summary) }
        let trainable = model.lora?.count ?? m.parameterCount
        return [
            "trainable parameters: \(trainable)", "optimizer state bytes: \(8 * trainable)",
            String(format: "sgemm peak (1024³, %d threads): %.1f GFLOP/s", BLASBackend.shared.threads, peak),
            String(format: "step: best %.0f ms, median %.0f ms", best * 1000, median * 1000),
            String(format: "model FLOPs: %.1f GFLOP/s, MFU %.1f%% of measured sgemm peak", flopsPerToken(m, seqLen: config.seqLen) * tps / 1e9, mfu * 100),
            String(format: "tokens/s: %.1f", tps),
        ]
    }
}
