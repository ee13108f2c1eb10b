import ArgumentParser
import Foundation
import SpindleIO
import SpindleTrainer

/// `spindle train rejection`: Llama 2 rejection-sampling fine-tuning.
struct TrainRejection: Configurable {
    static let configuration = CommandConfiguration(
        commandName: "rejection",
        abstract: "Rejection-sampling fine-tuning: best of K samples per prompt by the reward models, then SFT on them.",
        discussion: """
        Each iteration samples K answers per prompt from the current policy at --temperature, scores them
        with the reward models (Llama 2's gate: the safety score on safety prompts or when σ(R_s) < 0.15,
        else the helpfulness score), keeps the best; the kept set holds each prompt's best answer over
        all iterations so far; then an SFT pass (--config, loss on the answers) on the kept set.
        Prompts come from `spindle pack preference --prompts-only` shards (their aspect marks safety prompts).

        --temperatures 0.7,0.9,1.1,1.3 instead measures: for each temperature, the mean over prompts of
        the maximum reward among K samples, for K = 1, 2, 4, … (Llama 2 Fig. 7/8), printed as a table
        and written to OUTPUT/max-reward-vs-k.svg; no training.

        examples:
          spindle train rejection --init runs/sft/checkpoint --prompts shards/prompts --helpfulness-rm runs/rm-h/checkpoint \\
              --safety-rm runs/rm-s/checkpoint -k 8 --iterations 2 -o runs/rejection
          spindle train rejection --init runs/sft/checkpoint --prompts shards/prompts --helpfulness-rm … \\
              -k 16 --temperatures 0.7,0.9,1.1,1.3 -o runs/rejection-curve
        """)

    @Option(name: .customLong("init"), help: "Policy checkpoint to start from (the SFT model).") var initFrom: String?
    @Option(help: "Prompts-only shard directory.") var prompts: String
    @Option(help: "Helpfulness reward-model checkpoint.") var helpfulnessRm: String
    @Option(help: "Safety reward-model checkpoint (optional).") var safetyRm: String?
    @Option(name: [.short, .long], help: "Output directory.") var output: String
    @Option(name: .short, help: "Samples per prompt (K).") var k = 4
    @Option(help: "Sampling temperature.") var temperature: Float = 1.0
    @Option(help: "Comma-separated temperatures: measure max reward against K instead of training.") var temperatures: String?
    @Option(help: "Iterations (sample, keep, fine-tune).") var iterations = 2
    @Option(help: "Use at most this many prompts.") var maxPrompts: Int?
    @Option(help: "New tokens per sample at most.") var maxNewTokens = 48
    @Flag(help: "Pick the best of K after removing the iteration's linear trend of reward on answer length (against length hacking).")
    var lengthDebias = false
    @Option(name: .customLong("config"), help: "Config for the SFT pass (JSON or preset).") var preset = "sft-nano"
    @Option(help: "Epochs of the SFT pass over the kept set.") var sftEpochs: Double = 1
    @Option(help: "Peak learning rate of the SFT pass (default: the --config's); lower keeps the policy nearer its start.")
    var sftLr: Float?
    @Option(help: "Seed.") var seed: UInt64 = 1234
    @Option(help: "Threads.") var threads = 2
    @Flag(help: "Continue from OUTPUT (policy checkpoint and kept set of the last finished iteration).") var resume = false
    @Flag(help: "Replace a run already in OUTPUT (without --resume or this, such a directory is refused).") var overwrite = false
    @OptionGroup(visibility: .hidden) var lora: LoRAOptions
    @OptionGroup var config: ConfigOptions

    func validate() throws {
        _ = try temperatureList
        try Check.int("-k", k, min: 1, max: 4096)
        try Check.real("--temperature", temperature, 0, 100, openLow: true)
        try Check.int("--iterations", iterations, min: 1)
        try Check.int("--max-prompts", maxPrompts, min: 1)
        try Check.int("--max-new-tokens", maxNewTokens, min: 1, max: 1 << 20)
        try Check.real("--sft-epochs", sftEpochs, 0, 1000, openLow: true)
        try Check.real("--sft-lr", sftLr, 0, 1, openLow: true)
        try Check.threads(threads)
        try lora.refuse(command: "train rejection", why: "each iteration samples the full policy weights")
    }

    /// `--temperatures 0.7,0.9` as numbers.
    var temperatureList: [Float]? {
        get throws {
            try temperatures.map {
                try $0.split(separator: ",").map { s -> Float in
                    guard let v = Float(s.trimmingCharacters(in: .whitespaces)), v > 0 else {
                        throw ValidationError("--temperatures: \"\(s)\" is not a positive number")
                    }
                    return v
                }
            }
        }
    }

    var settings: RejectionSettings {
        get throws {
            var sft = try Presets.load(preset)
            if let sftLr { sft.lr = sftLr }
            var s = RejectionSettings(prompts: prompts, helpfulnessRM: helpfulnessRm, output: output, sft: sft)
            s.initFrom = initFrom; s.safetyRM = safetyRm; s.samplesPerPrompt = k; s.temperature = temperature
            s.temperatures = try temperatureList; s.iterations = iterations; s.maxPrompts = maxPrompts
            s.maxNewTokens = maxNewTokens; s.lengthDebias = lengthDebias; s.sftEpochs = sftEpochs; s.seed = seed; s.threads = threads; s.resume = resume; s.overwrite = overwrite
            return s
        }
    }

    var configJSON: JSONValue { get throws { try settings.json } }

    func run() throws {
        BLASBackend.prepareProcess()   // before any input is read: it may re-exec
        try RejectionRun.run(try settings, log: StandardError.line, out: { print($0) })
    }
}
