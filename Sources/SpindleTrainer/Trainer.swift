// Trainer.swift: one optimiser step = grad_accum micro-batches of batch_size rows, a loss averaged over
// all their targets, global-norm clipping, AdamW at the scheduled lr. Rows are read in order from the
// source's cursor (packers shuffle when they write shards), so a run is a pure function of config,
// data and seed, and a resumed run continues exactly.
import Foundation
import SpindleIO
import SpindleShards

/// What one optimiser step did.
public struct StepResult: Sendable {
    public let step: Int            // 1-based index of the step just taken
    public let loss: Double         // mean over the step's targets
    public let lr: Float
    public let gradNorm: Double     // before clipping
    public let tokens: Int          // tokens processed (rows × seq_len)
    public let seconds: Double
}

/// Model, optimiser, data cursor and all step buffers of a training run.
public final class Trainer {
    public let config: TrainConfig
    public let model: LlamaModel
    public let optimizer: AdamW
    public private(set) var state = TrainerState()
    let source: TrainingBatchSource
    let acts: Activations
    let rowsPerStep: Int
    let stageTok, stageSeg: UnsafeMutablePointer<Int32>
    let stageMask: UnsafeMutablePointer<UInt8>

    /// A fresh model initialised from `config.seed` (or the given one) training on `source`.
    public init(config: TrainConfig, source: TrainingBatchSource, model: LlamaModel? = nil) throws {
        try config.validate()
        guard source.seqLen == config.seqLen else {
            throw TrainerError.config(field: "training.seq_len", message: "\(config.seqLen), but the data rows hold \(source.seqLen) tokens")
        }
        if let bound = source.vocabBound, bound > config.model.vocabSize {
            throw TrainerError.config(field: "model.vocab_size", message: "\(config.model.vocabSize), but the data holds token id \(bound - 1) (tokenizer/vocabulary mismatch?)")
        }
        // Weights, gradients and two AdamW moments (16 bytes a parameter; with LoRA, 4 a base weight and
        // 16 an adapter weight) plus activations must fit.
        let weightBytes = model?.lora.map { 4 * config.model.parameterCount + 16 * $0.count } ?? 16 * config.model.parameterCount
        let need = Double(weightBytes + activationBytes(config.model, b: config.batchSize, t: config.seqLen))
        let have = Double(ProcessInfo.processInfo.physicalMemory)
        if need > 0.9 * have {
            throw TrainerError.config(field: "model", message: String(format: "training this shape needs about %.1f GiB (weights, gradients, AdamW state, activations for batch %d × seq %d); this machine has %.1f GiB", need / 1073741824, config.batchSize, config.seqLen, have / 1073741824))
        }
        self.config = config
        BLASBackend.shared.threads = config.threads
        self.model = try model ?? LlamaModel(config: config.model, seed: config.seed)
        guard self.model.config == config.model else {
            throw TrainerError.config(field: "model", message: "the checkpoint's shape differs from the config's model section")
        }
        self.model.parallel = Parallel(threads: config.threads)
        optimizer = self.model.makeOptimizer(config.adamw, parallel: self.model.parallel)   // with LoRA: the adapters only
        self.source = source
        acts = Activations(config: config.model, b: config.batchSize, t: config.seqLen)
        rowsPerStep = config.batchSize * config.gradAccum
        let n = rowsPerStep * config.seqLen
        stageTok = .allocate(capacity: n); stageSeg = .allocate(capacity: n); stageMask = .allocate(capacity: n)
        state.rngState = config.seed
    }
    deinit { stageTok.deallocate(); stageSeg.deallocate(); stageMask.deallocate() }

    /// Restores weights, AdamW moments, step and data cursor from a checkpoint written by `save`.
    public static func resuming(from dir: String, config: TrainConfig, source: TrainingBatchSource) throws -> Trainer {
        if LoRAAdapterConfig.isAdapter(dir) {   // a LoRA run: the base it names, its adapters and their moments
            let model = try LoRACheckpoint.load(dir)
            let t = try Trainer(config: config, source: source, model: model)
            t.state = try LoRACheckpoint.loadTrainingState(dir, into: t.optimizer, lora: model.lora!)
            return t
        }
        let model = try Checkpoint.load(dir)
        let t = try Trainer(config: config, source: source, model: model)
        t.state = try Checkpoint.loadTrainingState(dir, into: t.optimizer, layout: model.layout)
        return t
    }

    /// The shards' tokenizer, saved with every checkpoint (so a resumed or killed run keeps the guard).
    public var stamp: TokenizerStamp?

    /// Writes weights (HF layout), optimiser state, cursor and tokenizer stamp as the checkpoint `dir`.
    public func save(to dir: String) throws {
        try model.saveRun(to: dir, optimizer: optimizer, state: state, stamp: stamp)
    }

    /// Copies the next `rowsPerStep` rows into the staging buffers, checking token ids.
    func stageRows() throws {
        let t = config.seqLen, vocab = Int32(config.model.vocabSize)
        for r in 0..<rowsPerStep {
            let index = (state.cursor + r) % source.rowCount
            let row = try source.row(index)
            guard row.tokens.count == t, row.segmentIds.count == t, row.lossMask.map({ $0.count == t }) ?? true else {
                throw TrainerError.data(file: "training data", line: nil, message: "row \(index) is not \(t) tokens long")
            }
            for i in 0..<t {
                let v = row.tokens[i]
                guard v >= 0 && v < vocab else {
                    throw TrainerError.data(file: "training data", line: nil, message: "row \(index) holds token id \(v), outside the vocabulary of \(vocab)")
                }
                stageTok[r * t + i] = v
                stageSeg[r * t + i] = row.segmentIds[i]
                stageMask[r * t + i] = row.lossMask?[i] ?? 1
            }
        }
    }

    /// One optimiser step.
    @discardableResult
    public func step() throws -> StepResult {
        let t0 = DispatchTime.now().uptimeNanoseconds
        try stageRows()
        let rowsPerMicro = config.batchSize * config.seqLen
        // Count every target of the step first, so accumulated gradients are exactly the mean.
        var totalTargets = 0
        for mb in 0..<config.gradAccum {
            acts.load(tokens: stageTok + mb * rowsPerMicro, segments: stageSeg + mb * rowsPerMicro, lossMask: stageMask + mb * rowsPerMicro)
            totalTargets += acts.targetCount
        }
        let scale = totalTargets > 0 ? 1 / Float(totalTargets) : 0
        let lora = model.lora
        lora?.training = true
        defer { lora?.training = false }
        model.zeroTrainableGradients()
        var lossSum = 0.0
        for mb in 0..<config.gradAccum {
            acts.load(tokens: stageTok + mb * rowsPerMicro, segments: stageSeg + mb * rowsPerMicro, lossMask: stageMask + mb * rowsPerMicro)
            lora?.dropoutSeed = dropoutSeed(microBatch: mb)
            lossSum += model.forwardBackward(acts, lossScale: scale).lossSum
        }
        let lr = config.schedule.lr(at: state.step)
        let w = model.trainable   // every weight, or the adapters only
        let norm = Profile.time(.optimizer) {
            clipGradientNorm(w.grads, count: w.count, maxNorm: config.gradClip, parallel: model.parallel)
        }
        try checkFinite(loss: lossSum, gradNorm: norm, step: state.step + 1)
        Profile.time(.optimizer) { optimizer.update(params: w.params, grads: w.grads, lr: lr) }
        state.step += 1
        state.cursor = (state.cursor + rowsPerStep) % source.rowCount
        state.tokensSeen += rowsPerStep * config.seqLen
        let secs = Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9
        return StepResult(step: state.step, loss: totalTargets > 0 ? lossSum / Double(totalTargets) : 0, lr: lr,
                          gradNorm: norm, tokens: rowsPerStep * config.seqLen, seconds: secs)
    }

    /// LoRA dropout masks: a function of (seed, step, micro-batch), so a resumed run draws the same ones.
    func dropoutSeed(microBatch: Int) -> UInt64 {
        var r = SeededRandom(seed: config.seed ^ UInt64(state.step) &* 0x9E37_79B9_7F4A_7C15, stream: "lora-dropout-\(microBatch)")
        return r.next()
    }

    /// Mean loss over the first `batches` batches of `source` (always the same rows).
    public func evaluate(on source: TrainingBatchSource, batches: Int) throws -> (loss: Double, perplexity: Double) {
        let b = config.batchSize, t = config.seqLen
        guard source.seqLen == t else {
            throw TrainerError.config(field: "data.eval", message: "eval rows hold \(source.seqLen) tokens, training uses \(t)")
        }
        var tok = [Int32](repeating: 0, count: b * t), seg = tok, mask = [UInt8](repeating: 1, count: b * t)
        var sum = 0.0, count = 0
        for batch in 0..<max(1, min(batches, (source.rowCount + b - 1) / b)) {
            for r in 0..<b {
                let row = try source.row((batch * b + r) % source.rowCount)
                for i in 0..<t {
                    guard row.tokens[i] >= 0 && Int(row.tokens[i]) < config.model.vocabSize else {
                        throw TrainerError.data(file: "eval data", line: nil, message: "token id \(row.tokens[i]) outside the vocabulary")
                    }
                    tok[r * t + i] = row.tokens[i]; seg[r * t + i] = row.segmentIds[i]; mask[r * t + i] = row.lossMask?[i] ?? 1
                }
            }
            acts.load(tokens: tok, segments: seg, lossMask: mask)
            let l = model.loss(acts)
            sum += l.lossSum; count += l.targets
        }
        let mean = count > 0 ? sum / Double(count) : .nan
        return (mean, exp(mean))
    }
}
