import ArgumentParser

/// `spindle eval`: measure trained models.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate trained models (reward-model accuracy on preference records).",
        subcommands: [EvalRM.self])
}
