import ArgumentParser
import Foundation
import SpindleIO
import SpindleTrainer

extension DPOLossKind: ExpressibleByArgument {}

/// `spindle train dpo`: Direct Preference Optimization of an SFT policy on preference shards.
struct TrainDPO: Configurable {
    static let configuration = CommandConfiguration(
        commandName: "dpo",
        abstract: "Direct Preference Optimization: train an SFT policy on preference shards against itself frozen as the reference.",
        discussion: """
        h = (log π(y_c) − log π_ref(y_c)) − (log π(y_r) − log π_ref(y_r)), log-probs summed over the response
        tokens (the prompt is never scored). --loss sigmoid: L = (1 − ε)·softplus(−z) + ε·softplus(z) with
        z = β·h − m(degree) (ε = --label-smoothing, cDPO; m = --margins, Llama 2's degree margins, 0 by
        default). --loss ipo: L = (h̄ − 1/(2β))², h̄ the same difference of per-token mean log-ratios (as
        TRL computes IPO). Formulas and what is logged: docs/DPO.md.

        The reference is the --init checkpoint, frozen. Its log-probs are computed once and kept in
        OUTPUT/reference_logps.json, keyed by the shards' index.json and the reference's weights (a changed
        data set or reference is recomputed, and refused on --resume); --ref-on-the-fly scores each batch
        instead. Logs per step (stderr, OUTPUT/metrics.jsonl): loss, implicit rewards r = β·(log π − log π_ref)
        of chosen and rejected, reward accuracy (r_c > r_r), reward margin (r_c − r_r), log-probs, lr,
        gradient norm. training.batch_size is pairs per step, training.grad_accum rows per forward pass.

        examples:
          spindle train dpo --config dpo-nano --init runs/sft/checkpoint --train-data shards/pref -o runs/dpo
          spindle train dpo --init runs/sft/checkpoint --train-data shards/pref -o runs/dpo --loss ipo --beta 0.5
          spindle train dpo --init runs/sft/checkpoint --train-data shards/pref -o runs/dpo --resume
        """)

    @Option(name: .customLong("config"), help: "Training config (JSON file or preset name).") var preset = "dpo-nano"
    @Option(name: .customLong("init"), help: "The SFT checkpoint: the policy's start and, frozen, the reference.") var initFrom: String
    @Option(help: "Preference shard directory (spindle pack preference).") var trainData: String
    @Option(help: "Held-out preference shards (reward accuracy during training).") var evalData: String?
    @Option(help: "Hold out this fraction of the training pairs (the last ones) when --eval-data is absent.") var holdout: Double = 0
    @Option(name: [.short, .long], help: "Output directory.") var output: String
    @Option(help: "Loss: sigmoid (DPO) or ipo.") var loss: DPOLossKind = .sigmoid
    @Option(help: "β, the implicit KL coefficient.") var beta: Double = 0.1
    @Option(help: "cDPO label smoothing ε in [0, 0.5) (sigmoid only).") var labelSmoothing: Double = 0
    @Option(help: "Degree margins subtracted from the sigmoid logit: none, small or large (Llama 2 Table 27).") var margins: MarginTable = .none
    @Flag(help: "Compute the reference's log-probs for every batch instead of once.") var refOnTheFly = false
    @Option(help: "Learning rate (overrides training.lr).") var lr: Float?
    @Option(help: "Pairs per optimiser step (overrides training.batch_size).") var batchSize: Int?
    @Option(help: "Passes over the pairs.") var epochs: Double = 1
    @Option(help: "Optimiser steps (overrides --epochs).") var steps: Int?
    @Option(help: "Seed.") var seed: UInt64?
    @Option(help: "Threads.") var threads: Int?
    @Flag(help: "Continue from OUTPUT/checkpoint.") var resume = false
    @Flag(help: "Replace a run already in OUTPUT (without --resume or this, such a directory is refused).") var overwrite = false
    @OptionGroup var lora: LoRAOptions
    @OptionGroup var config: ConfigOptions

    func validate() throws {
        if evalData == nil && holdout >= 1 { throw ValidationError("--holdout must be below 1") }
        try Check.real("--holdout", holdout, 0, 1)
        try Check.real("--beta", beta, 0, 1e6, openLow: true)
        try Check.real("--label-smoothing", labelSmoothing, 0, 0.5, openHigh: true)
        try Check.real("--lr", lr, 0, 1, openLow: true)
        try Check.int("--batch-size", batchSize, min: 1, max: 1 << 20)
        try Check.real("--epochs", epochs, 0, 1000, openLow: true)
        try Check.int("--steps", steps, min: 1)
        try Check.threads(threads)
        if loss == .ipo && labelSmoothing != 0 { throw ValidationError("--label-smoothing is a sigmoid (cDPO) option; --loss ipo has none") }
        if loss == .ipo && margins != .none { throw ValidationError("--margins offset the sigmoid logit; --loss ipo has none") }
    }

    var settings: DPOSettings {
        get throws {
            var cfg = try Presets.trainConfig(preset, seed: seed, threads: threads)
            if let lr { cfg.lr = lr }
            if let batchSize { cfg.batchSize = batchSize }
            var s = DPOSettings(config: cfg, initFrom: initFrom, trainData: trainData, output: output)
            s.evalData = evalData; s.holdout = holdout
            s.loss.kind = loss; s.loss.beta = beta; s.loss.labelSmoothing = labelSmoothing; s.loss.margins = margins
            s.refOnTheFly = refOnTheFly; s.epochs = epochs; s.steps = steps; s.resume = resume; s.overwrite = overwrite
            s.lora = try lora.settings
            return s
        }
    }

    var configJSON: JSONValue { get throws { try settings.json } }

    func run() throws {
        BLASBackend.prepareProcess()   // before any input is read: it may re-exec
        print(DPOTraining.summaryLine(try DPOTraining.run(try settings, log: StandardError.line)))
    }
}
