// PPO.swift: Llama 2 RLHF with PPO (§3.2.3) on the CPU. Policy π_θ and a frozen reference π_0 (the
// SFT model), a value model (a score head on every token, initialised from the helpfulness reward
// model, as TRL and DeepSpeed-Chat do), both reward models gated into the combined reward, per-token
// KL penalty −β·(log π_θ − log π_0), GAE, the clipped surrogate and clipped value loss over
// mini-batches, AdamW at a constant lr. Formulas: PPOMath.swift, CombinedReward.swift.
import Foundation
import SpindleIO

public struct PPOSettings: Sendable {
    public var iterations = 20
    public var promptsPerIteration = 16     // rollout batch (paper: 512)
    public var miniBatch = 8                // sequences per gradient step (paper: 64)
    public var ppoEpochs = 1                // passes over each rollout (paper: one step per mini-batch)
    public var lr: Float = 1e-5             // constant (paper: 1e-6 at 7B scale)
    public var valueLR: Float = 1e-4
    public var beta = 0.01                  // KL coefficient (paper: 0.01 for 7B/13B)
    public var gamma = 1.0
    public var lambda = 0.95
    public var clip = 0.2
    public var clipValue = 0.2
    public var vfCoef = 0.1
    public var temperature: Float = 1.0
    public var maxNewTokens = 32
    public var lengthDebias = false         // remove the rollout's linear reward-on-length trend (PPOMath)
    public var evalEvery = 5
    public var patience = 3                 // evals without a better held-out reward before stopping
    public var evalSamples = 4              // samples per held-out prompt (fixed seeds)
    public var seed: UInt64 = 1234
    public var rows = 4                     // rows per forward pass
    public var seqLen = 256                 // tokens per row
    public var threads = 2
    public init() {}
}

/// What one PPO iteration measured.
public struct PPOIterationStats: Sendable {
    public var iteration = 0
    public var rewardHelpfulness = (mean: 0.0, std: 0.0), rewardSafety = (mean: 0.0, std: 0.0), rewardCombined = (mean: 0.0, std: 0.0)
    public var safetyGatedFraction = 0.0
    public var klK1 = 0.0, klK3 = 0.0, approxKL = 0.0, clipFraction = 0.0
    public var policyLoss = 0.0, valueLoss = 0.0, entropy = 0.0
    public var lengthMean = 0.0, lengthP95 = 0.0, eosRate = 0.0
    public var seconds = 0.0

    public var json: String {
        func n(_ x: Double) -> String { x.isFinite ? String(format: "%.6g", x) : "null" }
        let fields: [(String, Double)] = [
            ("reward_helpfulness_mean", rewardHelpfulness.mean), ("reward_helpfulness_std", rewardHelpfulness.std),
            ("reward_safety_mean", rewardSafety.mean), ("reward_safety_std", rewardSafety.std),
            ("reward_combined_mean", rewardCombined.mean), ("reward_combined_std", rewardCombined.std),
            ("safety_gated_fraction", safetyGatedFraction), ("kl_k1", klK1), ("kl_k3", klK3), ("approx_kl", approxKL),
            ("clip_fraction", clipFraction), ("policy_loss", policyLoss), ("value_loss", valueLoss), ("entropy", entropy),
            ("response_length_mean", lengthMean), ("response_length_p95", lengthP95), ("eos_rate", eosRate), ("seconds", seconds),
        ]
        return metricsLine([("iteration", .int(iteration))] + fields.map { ($0.0, .number(n($0.1))) })
    }
    public var line: String {
        String(format: "iter %d  R_h %.3f±%.3f  R_s %.3f±%.3f  R_c %.3f±%.3f  gated %.2f  KL k1 %.4f k3 %.4f  approx-KL %.2g  clip %.3f  L_pi %.4f  L_v %.4f  H %.3f  len %.1f (p95 %.0f)  eos %.2f  %.1fs",
               iteration, rewardHelpfulness.mean, rewardHelpfulness.std, rewardSafety.mean, rewardSafety.std, rewardCombined.mean, rewardCombined.std,
               safetyGatedFraction, klK1, klK3, approxKL, clipFraction, policyLoss, valueLoss, entropy, lengthMean, lengthP95, eosRate, seconds)
    }
}

/// One rollout: sequences and their per-response-token quantities.
struct Rollout {
    var prompts: [SamplingPrompt]
    var sequences: [[Int32]]
    var starts: [Int]                  // first response token index
    var stopped: [Bool]
    var logpOld: [[Double]], logpRef: [[Double]], values: [[Double]]
    var advantages: [[Double]] = [], returns: [[Double]] = []
    var rewards: [SampleReward] = []
}

public final class PPOTrainer {
    public let settings: PPOSettings
    public let policy: LlamaModel
    public let reference: LlamaModel
    public let value: LlamaModel
    public let rewards: RewardPair
    public let policyOpt: AdamW, valueOpt: AdamW
    public var state = TrainerState()            // step = iterations done, cursor = prompt cursor
    let lmActs: Activations, valueActs: Activations
    let generator: Generator

    public init(settings: PPOSettings, policy: LlamaModel, reference: LlamaModel, value: LlamaModel, rewards: RewardPair) throws {
        guard policy.config == reference.config else {
            throw TrainerError.config(field: "reference", message: "the reference policy's shape differs from the policy's")
        }
        guard value.layout.score >= 0, value.config.vocabSize == policy.config.vocabSize else {
            throw TrainerError.config(field: "value", message: "the value model needs a score head and the policy's vocabulary")
        }
        self.settings = settings
        self.policy = policy; self.reference = reference; self.value = value; self.rewards = rewards
        let parallel = Parallel(threads: settings.threads)
        for m in [policy, reference, value] { m.parallel = parallel }
        rewards.use(parallel)
        var adam = AdamWSettings()
        adam.weightDecay = 0.1
        policyOpt = AdamW(layout: policy.layout, settings: adam, parallel: parallel)
        valueOpt = AdamW(layout: value.layout, settings: adam, parallel: parallel)
        let t = min(settings.seqLen, policy.config.maxSeqLen)
        lmActs = Activations(config: policy.config, b: settings.rows, t: t)
        valueActs = Activations(config: value.config, b: settings.rows, t: t)
        generator = Generator(model: policy, batch: settings.promptsPerIteration, maxLen: t)
        state.rngState = settings.seed
        BLASBackend.shared.threads = settings.threads
    }

    var t: Int { lmActs.t }

    /// Samples responses for `prompts` (rows of the generator) and scores them.
    func generate(_ prompts: [SamplingPrompt], seed: UInt64, temperature: Float, with generator: Generator? = nil) -> (sequences: [[Int32]], starts: [Int], stopped: [Bool]) {
        let generator = generator ?? self.generator
        let eos = Int32(policy.config.eosId)
        var seqs: [[Int32]] = [], starts: [Int] = [], stopped: [Bool] = []
        var i = 0
        while i < prompts.count {
            let chunk = Array(prompts[i..<min(prompts.count, i + generator.batch)])
            var o = SamplingOptions()
            o.temperature = temperature; o.topP = 1; o.stopToken = eos; o.seed = seed &+ UInt64(i)
            o.maxNewTokens = max(1, min(settings.maxNewTokens, t - 1 - (chunk.map(\.tokens.count).max() ?? 0)))
            for (p, g) in zip(chunk, generator.generate(prompts: chunk.map(\.tokens), options: o)) {
                var resp = g.tokens + (g.stopped ? [eos] : [])
                if resp.isEmpty { resp = [eos] }
                seqs.append(p.tokens + resp); starts.append(p.tokens.count); stopped.append(g.stopped)
            }
            i += chunk.count
        }
        return (seqs, starts, stopped)
    }

    /// Packs sequences `indices` into passes of `rows`×t; for each pass calls `body(batch, spans
    /// paired with the sequence index)` after loading the activations with a loss mask on responses.
    func passes(_ indices: [Int], sequences: [[Int32]], starts: [Int], acts: Activations, _ body: ([(seq: Int, span: PackedSpan)]) -> Void) {
        var k = 0
        while k < indices.count {
            var batch = SequenceBatch(b: acts.b, t: acts.t)
            var members: [(seq: Int, span: PackedSpan)] = []
            while k < indices.count && batch.fits([sequences[indices[k]].count]) {
                members.append((indices[k], batch.append(sequences[indices[k]]))); k += 1
            }
            var mask = [UInt8](repeating: 0, count: acts.b * acts.t)
            for m in members {
                let s = m.span, trimmed = sequences[m.seq].count - s.count   // > 0 only when over-long
                for j in max(starts[m.seq] - trimmed, 1)..<s.count { mask[s.row * acts.t + s.start + j] = 1 }
            }
            acts.load(tokens: batch.tokens, segments: batch.segments, lossMask: mask)
            body(members)
        }
    }

    /// Flat index of the position predicting response token j (sequence index) of a packed span.
    @inline(__always) func flat(_ s: PackedSpan, _ j: Int, trimmed: Int) -> Int { s.row * t + s.start + (j - trimmed) - 1 }

    /// Per-response-token log-probs of `model` (teacher-forced).
    func responseLogProbs(_ model: LlamaModel, _ seqs: [[Int32]], _ starts: [Int]) -> [[Double]] {
        var out = [[Double]](repeating: [], count: seqs.count)
        var buf = [Float](repeating: 0, count: lmActs.b * t)
        passes(Array(seqs.indices), sequences: seqs, starts: starts, acts: lmActs) { members in
            buf.withUnsafeMutableBufferPointer { model.logProbs(lmActs, into: $0.baseAddress!) }
            for m in members {
                let tr = seqs[m.seq].count - m.span.count
                out[m.seq] = (max(starts[m.seq], tr + 1)..<seqs[m.seq].count).map { Double(buf[flat(m.span, $0, trimmed: tr)]) }
            }
        }
        return out
    }

    /// Values at the positions predicting each response token.
    func responseValues(_ seqs: [[Int32]], _ starts: [Int]) -> [[Double]] {
        var out = [[Double]](repeating: [], count: seqs.count)
        var buf = [Float](repeating: 0, count: valueActs.b * t)
        passes(Array(seqs.indices), sequences: seqs, starts: starts, acts: valueActs) { members in
            buf.withUnsafeMutableBufferPointer { value.scoreForward(valueActs, into: $0.baseAddress!) }
            for m in members {
                let tr = seqs[m.seq].count - m.span.count
                out[m.seq] = (max(starts[m.seq], tr + 1)..<seqs[m.seq].count).map { Double(buf[flat(m.span, $0, trimmed: tr)]) }
            }
        }
        return out
    }

    /// Mean gated reward of samples on `prompts` at a fixed seed (the early-stopping signal).
    public func evaluate(_ prompts: [SamplingPrompt]) -> Double {
        guard !prompts.isEmpty else { return .nan }
        let r = heldOutSamples(prompts).rewards
        return r.reduce(0, +) / Double(r.count)
    }

    /// Gated rewards and answer lengths (tokens, EOS included) of `settings.evalSamples` samples per
    /// prompt at a fixed seed, from the policy or, with `fromReference`, the frozen reference: at the
    /// same seed the two see the same random numbers.
    public func heldOutSamples(_ prompts: [SamplingPrompt], fromReference: Bool = false) -> (rewards: [Double], lengths: [Int]) {
        let reps = Array(repeatElement(prompts, count: max(1, settings.evalSamples)).joined())
        let gen = fromReference ? Generator(model: reference, batch: generator.batch, maxLen: t) : generator
        let g = generate(reps, seed: mixSeed(settings.seed, -1, 0), temperature: settings.temperature, with: gen)
        let r = rewards.score(g.sequences, isSafety: reps.map(\.isSafety), responseStarts: g.starts)
        return (r.map(\.gated), zip(g.sequences, g.starts).map { $0.count - $1 })
    }

    /// One PPO iteration on the next prompts of `train`.
    public func iterate(train: [SamplingPrompt]) throws -> PPOIterationStats {
        let t0 = DispatchTime.now().uptimeNanoseconds
        let s = settings
        let iter = state.step
        let batch = (0..<s.promptsPerIteration).map { train[(state.cursor + $0) % train.count] }
        // 1. Rollout and scoring.
        let g = generate(batch, seed: mixSeed(s.seed, iter, 1), temperature: s.temperature)
        var ro = Rollout(prompts: batch, sequences: g.sequences, starts: g.starts, stopped: g.stopped,
                         logpOld: responseLogProbs(policy, g.sequences, g.starts),
                         logpRef: responseLogProbs(reference, g.sequences, g.starts),
                         values: responseValues(g.sequences, g.starts))
        ro.rewards = rewards.score(g.sequences, isSafety: batch.map(\.isSafety), responseStarts: g.starts)
        var gated = ro.rewards.map(\.gated)
        if s.lengthDebias { gated = removingLengthTrend(gated, lengths: batch.indices.map { g.sequences[$0].count - g.starts[$0] }) }
        let whitened = batch.count > 1 ? maskedWhiten(gated) : gated
        // 2. Per-token rewards (KL penalty, score on the last token), GAE, whitened advantages.
        var k1s: [Double] = [], k3s: [Double] = []
        for i in batch.indices {
            let lo = ro.logpOld[i], lr = ro.logpRef[i]
            var r = zip(lo, lr).map { -s.beta * klK1(logp: $0, logpRef: $1) }
            if !r.isEmpty { r[r.count - 1] += whitened[i] }
            k1s.append(zip(lo, lr).map { klK1(logp: $0, logpRef: $1) }.reduce(0, +))
            k3s.append(zip(lo, lr).map { klK3(logp: $0, logpRef: $1) }.reduce(0, +))
            let (a, ret) = generalizedAdvantages(rewards: r, values: ro.values[i], gamma: s.gamma, lambda: s.lambda)
            ro.advantages.append(a); ro.returns.append(ret)
        }
        let flatAdv = maskedWhiten(ro.advantages.flatMap { $0 })
        var off = 0
        for i in batch.indices { let n = ro.advantages[i].count; ro.advantages[i] = Array(flatAdv[off..<(off + n)]); off += n }

        // 3. PPO epochs over shuffled mini-batches.
        var rng = SeededRandom(seed: mixSeed(s.seed, iter, 2))
        var pLossSum = 0.0, vLossSum = 0.0, entSum = 0.0, clipped = 0, tokens = 0, akl = 0.0
        var logpBuf = [Float](repeating: 0, count: lmActs.b * t), entBuf = logpBuf
        var vBuf = [Float](repeating: 0, count: valueActs.b * t), dV = vBuf
        for _ in 0..<s.ppoEpochs {
            var order = Array(batch.indices)
            for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
            var mb = 0
            while mb < order.count {
                let members = Array(order[mb..<min(order.count, mb + s.miniBatch)])
                mb += s.miniBatch
                let nTok = members.reduce(0) { $0 + ro.advantages[$1].count }
                guard nTok > 0 else { continue }
                let inv = 1 / Double(nTok)
                // Policy.
                policy.zeroGradients()
                passes(members, sequences: ro.sequences, starts: ro.starts, acts: lmActs) { ms in
                    logpBuf.withUnsafeMutableBufferPointer { lp in
                        entBuf.withUnsafeMutableBufferPointer { en in
                            policy.policyForwardBackward(lmActs, logp: lp.baseAddress!, entropy: en.baseAddress!) { logp, coef in
                                for m in ms {
                                    let tr = ro.sequences[m.seq].count - m.span.count
                                    let first = max(ro.starts[m.seq], tr + 1)
                                    for j in first..<ro.sequences[m.seq].count {
                                        let f = flat(m.span, j, trimmed: tr), k = j - first
                                        let r = clippedSurrogate(logpNew: Double(logp[f]), logpOld: ro.logpOld[m.seq][k],
                                                                 advantage: ro.advantages[m.seq][k], clip: s.clip)
                                        coef[f] = Float(r.dLogp * inv)
                                        pLossSum += r.loss; if r.clipped { clipped += 1 }
                                        let dl = Double(logp[f]) - ro.logpOld[m.seq][k]
                                        akl += 0.5 * dl * dl
                                    }
                                }
                            }
                            for m in ms {
                                let tr = ro.sequences[m.seq].count - m.span.count
                                for j in max(ro.starts[m.seq], tr + 1)..<ro.sequences[m.seq].count { entSum += Double(en[flat(m.span, j, trimmed: tr)]) }
                            }
                        }
                    }
                }
                let pNorm = clipGradientNorm(policy.grads.p, count: policy.layout.totalCount, maxNorm: 1, parallel: policy.parallel)
                try checkFinite(loss: pLossSum, gradNorm: pNorm, step: state.step + 1)
                policyOpt.update(params: policy.params.p, grads: policy.grads.p, lr: s.lr)
                // Value.
                value.zeroGradients()
                passes(members, sequences: ro.sequences, starts: ro.starts, acts: valueActs) { ms in
                    vBuf.withUnsafeMutableBufferPointer { value.scoreForward(valueActs, into: $0.baseAddress!) }
                    for i in dV.indices { dV[i] = 0 }
                    for m in ms {
                        let tr = ro.sequences[m.seq].count - m.span.count
                        let first = max(ro.starts[m.seq], tr + 1)
                        for j in first..<ro.sequences[m.seq].count {
                            let f = flat(m.span, j, trimmed: tr), k = j - first
                            let r = clippedValueLoss(value: Double(vBuf[f]), oldValue: ro.values[m.seq][k], ret: ro.returns[m.seq][k], clip: s.clipValue)
                            dV[f] = Float(s.vfCoef * r.dValue * inv)
                            vLossSum += r.loss
                        }
                    }
                    dV.withUnsafeBufferPointer { value.scoreBackward(valueActs, dScores: $0.baseAddress!) }
                }
                let vNorm = clipGradientNorm(value.grads.p, count: value.layout.totalCount, maxNorm: 1, parallel: value.parallel)
                try checkFinite(loss: 0, gradNorm: vNorm, step: state.step + 1)
                valueOpt.update(params: value.params.p, grads: value.grads.p, lr: s.valueLR)
                tokens += nTok
            }
        }
        state.step += 1
        state.cursor = (state.cursor + batch.count) % train.count
        // 4. Statistics.
        var st = PPOIterationStats()
        st.iteration = state.step
        st.rewardHelpfulness = meanStd(ro.rewards.map(\.helpfulness))
        st.rewardSafety = meanStd(ro.rewards.map(\.safety))
        st.rewardCombined = meanStd(ro.rewards.map(\.gated))
        st.safetyGatedFraction = Double(ro.rewards.filter { $0.source != .helpfulness }.count) / Double(batch.count)
        st.klK1 = k1s.reduce(0, +) / Double(batch.count)
        st.klK3 = k3s.reduce(0, +) / Double(batch.count)
        let denom = Double(max(tokens, 1))
        st.approxKL = akl / denom; st.clipFraction = Double(clipped) / denom
        st.policyLoss = pLossSum / denom; st.valueLoss = vLossSum / denom; st.entropy = entSum / denom
        let lengths = batch.indices.map { Double(ro.sequences[$0].count - ro.starts[$0]) }.sorted()
        st.lengthMean = lengths.reduce(0, +) / Double(lengths.count)
        st.lengthP95 = lengths[min(lengths.count - 1, Int((0.95 * Double(lengths.count)).rounded(.up)) - 1)]
        st.eosRate = Double(ro.stopped.filter { $0 }.count) / Double(batch.count)
        st.seconds = Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9
        return st
    }
}

extension PPOTrainer {
    /// Resumes from a PPO checkpoint directory (`policy/`, `value/`) whose weights are already in the
    /// models: both AdamW states, the iteration and prompt cursor, and the optimisers' step counts.
    public func restoreTrainingState(from ckpt: String) throws {
        state = try Checkpoint.loadTrainingState(ckpt + "/policy", into: policyOpt, layout: policy.layout)
        _ = try Checkpoint.loadTrainingState(ckpt + "/value", into: valueOpt, layout: value.layout)
        restoreOptimizerSteps()
    }

    /// After a resume: AdamW's bias correction counts updates (one per mini-batch), not iterations.
    public func restoreOptimizerSteps() {
        let perIteration = settings.ppoEpochs * ((settings.promptsPerIteration + settings.miniBatch - 1) / settings.miniBatch)
        policyOpt.step = state.step * perIteration
        valueOpt.step = state.step * perIteration
    }
}
