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

struct ClassifyTrain: ParsableCommand {
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

    func validate() throws {
        guard dimBits >= 4 && dimBits <= 26 else { throw ValidationError("--dim-bits must be in 4...26") }
        guard ngrams >= 1 && ngrams <= 3 else { throw ValidationError("--ngrams must be 1, 2 or 3") }
        guard holdout >= 0 && holdout < 1 else { throw ValidationError("--holdout must be in [0, 1)") }
    }

    func run() throws {
        try Exit.reporting("classify train") {
            let f = ClassifierFeatures(dimBits: dimBits, ngrams: ngrams)
            let pos = try ClassifierStage.load(paths: factual, textField: textField, features: f, limit: maxDocs, policy: input.onError)
            let neg = try ClassifierStage.load(paths: web, textField: textField, features: f, limit: maxDocs, policy: input.onError)
            guard !pos.isEmpty && !neg.isEmpty else {
                throw InputError(.format, file: pos.isEmpty ? factual.joined(separator: ",") : web.joined(separator: ","), "no documents to train on")
            }
            var train: [([Int32], Bool)] = [], test: [([Int32], Bool)] = []
            for (id, idx) in pos { if ClassifierStage.isHeldOut(id, fraction: holdout) { test.append((idx, true)) } else { train.append((idx, true)) } }
            for (id, idx) in neg { if ClassifierStage.isHeldOut(id, fraction: holdout) { test.append((idx, false)) } else { train.append((idx, false)) } }
            var t = ClassifierTrainer()
            t.epochs = epochs; t.learningRate = learningRate; t.l2 = l2; t.seed = seed
            let model = t.train(features: f, examples: train)
            let trainM = ClassifierTrainer.evaluate(model, train), testM = ClassifierTrainer.evaluate(model, test)
            try OutputFile.write(model.serialized(), to: output)
            let line = "classify train: \(pos.count) factual, \(web.isEmpty ? 0 : neg.count) web documents; train accuracy "
                + "\(Progress.format(trainM.accuracy, 3)), held-out accuracy \(Progress.format(testM.accuracy, 3)) on \(testM.count) "
                + "(log loss \(Progress.format(testM.logLoss, 3))); model \(output)"
            StandardError.line(line)
            if let report {
                let j: JSONValue = .object([
                    ("stage", .string("classify-train")), ("factual_documents", JSONValue(pos.count)), ("web_documents", JSONValue(neg.count)),
                    ("dim_bits", JSONValue(dimBits)), ("ngrams", JSONValue(ngrams)), ("epochs", JSONValue(epochs)),
                    ("learning_rate", JSONValue(learningRate)), ("l2", JSONValue(l2)), ("seed", .number(String(seed))),
                    ("train_accuracy", JSONValue(trainM.accuracy)), ("heldout_accuracy", JSONValue(testM.accuracy)),
                    ("heldout_log_loss", JSONValue(testM.logLoss)), ("heldout_documents", JSONValue(testM.count)),
                ])
                try OutputFile.write(Manifest.pretty(j) + [0x0A], to: report)
            }
        }
    }
}

struct ClassifyScore: ParsableCommand {
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
    @Argument(help: "Input JSONL files (default: stdin).")
    var files: [String] = []

    func run() throws {
        try Exit.reporting("classify score") {
            let m = try ClassifierModel(bytes: try InputFile.readAll(path: model), name: model)
            let output = try out.open()
            let r = try ClassifierStage.score(model: m, inputs: files, field: field, textField: textField, output: output,
                                              policy: input.onError, rejects: input.rejects)
            try output.commit()
            StandardError.line("classify score: \(r.documents) documents, \(r.above) scored >= 0.5, mean \(Progress.format(r.mean, 3))")
        }
    }
}
