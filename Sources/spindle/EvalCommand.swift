import ArgumentParser

/// `spindle eval`: measure trained models.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate trained models: benchmarks as lm-evaluation-harness scores them, perplexity, reward-model accuracy, win rates.",
        subcommands: [EvalLM.self, EvalPPL.self, EvalRM.self, EvalWinrate.self, EvalReport.self])
}
