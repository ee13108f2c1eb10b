import SpindleIO

/// `spindle classify train`: factual (positive) and web (negative) documents in, a trained model and
/// its held-out figures out. Documents are held out by id hash, so the split is the same every run.
public struct ClassifierTraining {
    public var features = ClassifierFeatures()
    public var trainer = ClassifierTrainer()
    /// Fraction of documents held out for the accuracy figures.
    public var holdout = 0.1
    /// At most this many documents per class.
    public var maxDocuments = 200_000
    public var textField = "text"
    public var policy: ErrorPolicy = .fail

    public init() {}

    /// What a run produced.
    public struct Result {
        public var model: ClassifierModel
        public var factualDocuments: Int
        public var webDocuments: Int
        public var train: ClassifierTrainer.Metrics
        public var heldOut: ClassifierTrainer.Metrics
    }

    public func run(factual: [String], web: [String]) throws -> Result {
        let pos = try ClassifierStage.load(paths: factual, textField: textField, features: features, limit: maxDocuments, policy: policy)
        let neg = try ClassifierStage.load(paths: web, textField: textField, features: features, limit: maxDocuments, policy: policy)
        guard !pos.isEmpty && !neg.isEmpty else {
            throw InputError(.format, file: (pos.isEmpty ? factual : web).joined(separator: ","), "no documents to train on")
        }
        var train: [([Int32], Bool)] = [], test: [([Int32], Bool)] = []
        for (docs, label) in [(pos, true), (neg, false)] {
            for (id, idx) in docs {
                if ClassifierStage.isHeldOut(id, fraction: holdout) { test.append((idx, label)) } else { train.append((idx, label)) }
            }
        }
        let model = trainer.train(features: features, examples: train)
        return Result(model: model, factualDocuments: pos.count, webDocuments: web.isEmpty ? 0 : neg.count,
                      train: ClassifierTrainer.evaluate(model, train), heldOut: ClassifierTrainer.evaluate(model, test))
    }
}

extension ClassifierTraining.Result {
    /// The stderr summary line.
    public func summary(output: String) -> String {
        "classify train: \(factualDocuments) factual, \(webDocuments) web documents; train accuracy "
            + "\(Progress.format(train.accuracy, 3)), held-out accuracy \(Progress.format(heldOut.accuracy, 3)) on \(heldOut.count) "
            + "(log loss \(Progress.format(heldOut.logLoss, 3))); model \(output)"
    }

    /// The `--report` JSON.
    public func json(_ run: ClassifierTraining) -> JSONValue {
        .object([
            ("stage", .string("classify-train")), ("factual_documents", JSONValue(factualDocuments)), ("web_documents", JSONValue(webDocuments)),
            ("dim_bits", JSONValue(run.features.dim.trailingZeroBitCount)), ("ngrams", JSONValue(run.features.ngrams)), ("epochs", JSONValue(run.trainer.epochs)),
            ("learning_rate", JSONValue(run.trainer.learningRate)), ("l2", JSONValue(run.trainer.l2)), ("seed", .number(String(run.trainer.seed))),
            ("train_accuracy", JSONValue(train.accuracy)), ("heldout_accuracy", JSONValue(heldOut.accuracy)),
            ("heldout_log_loss", JSONValue(heldOut.logLoss)), ("heldout_documents", JSONValue(heldOut.count)),
        ])
    }
}
