import ArgumentParser
import SpindleIO
import SpindleStages

/// `spindle classify`: a factuality score for documents whose source says nothing.
struct ClassifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "classify",
        abstract: "Train and apply a linear factual-vs-web classifier (hashed word n-grams, logistic regression).",
        discussion: """
          spindle classify train --factual wiki.jsonl --web web.jsonl -o f.spcl
          spindle classify score --model f.spcl < docs.jsonl > scored.jsonl

        score adds "factual_score". LLaMA chose pages with a linear classifier
        of Wikipedia-referenced pages against random ones; Llama 2 up-sampled
        its most factual sources. Pair with `spindle upsample --by-score`.
        """,
        subcommands: [ClassifyTrain.self, ClassifyScore.self])
}

struct ClassifyTrain: Configurable {
    static let configuration = CommandConfiguration(
        commandName: "train", abstract: "Train on factual (positive) and web (negative) JSONL documents.")

    @Option(parsing: .upToNextOption, help: "Factual JSONL files (e.g. Wikipedia).")
    var factual: [String]
    @Option(parsing: .upToNextOption, help: "Web / other JSONL files.")
    var web: [String]
    @Option(name: [.short, .long], help: "The model file to write (binary .spcl, atomically).")
    var output: String
    @Option(name: .customLong("dim-bits"), help: "log2 of the hashed feature space.")
    var dimBits = 18
    @Option(help: "Word n-gram order (1-3).")
    var ngrams = 2
    @Option(help: "SGD epochs.")
    var epochs = 5
    @Option(name: .customLong("learning-rate"), help: "Initial learning rate (decays as 1/(1+epoch)).")
    var learningRate = 0.5
    @Option(help: "L2 regularisation.")
    var l2 = 1e-6
    @Option(help: "Shuffling seed.")
    var seed: UInt64 = 0
    @Option(name: .customLong("holdout"), help: "Fraction of documents (by id hash) held out for the accuracy figure.")
    var holdout = 0.1
    @Option(name: .customLong("max-docs"), help: "At most this many documents per class.")
    var maxDocs = 200_000
    @Option(name: .customLong("text-field"), help: "The field holding the text.")
    var textField = "text"
    @Option(help: "Write a JSON report (counts, held-out accuracy and log loss) to this file.")
    var report: String?
    @OptionGroup var input: InputOptions
    @OptionGroup var config: ConfigOptions
    @OptionGroup var overwriting: OverwriteOption

    func validate() throws {
        guard dimBits >= 4 && dimBits <= 26 else { throw ValidationError("--dim-bits must be in 4...26") }
        guard ngrams >= 1 && ngrams <= 3 else { throw ValidationError("--ngrams must be 1, 2 or 3") }
        guard holdout >= 0 && holdout < 1 else { throw ValidationError("--holdout must be in [0, 1)") }
    }

    var training: ClassifierTraining {
        var t = ClassifierTraining()
        t.features = ClassifierFeatures(dimBits: dimBits, ngrams: ngrams)
        t.trainer.epochs = epochs; t.trainer.learningRate = learningRate; t.trainer.l2 = l2; t.trainer.seed = seed
        t.holdout = holdout; t.maxDocuments = maxDocs; t.textField = textField; t.policy = input.onError
        return t
    }

    func run() throws {
        let t = training
        try StageRun(command: "classify train", config: configJSON, inputs: factual + web, report: report, seed: seed).run(output: output) {
            let r = try t.run(factual: factual, web: web)
            try OutputFile.write(r.model.serialized(), to: output)
            return StageOutcome(summary: r.summary(output: output), report: r.json(t))
        }
    }
}

struct ClassifyScore: Configurable {
    static let configuration = CommandConfiguration(
        commandName: "score", abstract: "Add the factual probability to each document.")

    @Option(help: "A model written by `classify train`.")
    var model: String
    @Option(help: "The field receiving the score.")
    var field = "factual_score"
    @Option(name: .customLong("text-field"), help: "The field holding the text.")
    var textField = "text"
    @OptionGroup var input: InputOptions
    @OptionGroup var out: OutputOptions
    @OptionGroup var config: ConfigOptions
    @Argument(help: "Input JSONL files (default: stdin).")
    var files: [String] = []

    func run() throws {
        let m = try ClassifierModel(bytes: try InputFile.readAll(path: model), name: model)
        try StageRun(command: "classify score", config: configJSON, inputs: [model] + files, allowEmpty: input.allowEmpty).run(out) { output in
            let r = try ClassifierStage.score(model: m, inputs: files, field: field, textField: textField, output: output,
                                              policy: input.onError, rejects: input.rejects)
            return StageOutcome(summary: "classify score: \(r.documents) documents, \(r.above) scored >= 0.5, mean \(Progress.format(r.mean, 3))",
                                records: (r.documents + r.skipped, r.documents))
        }
    }
}
