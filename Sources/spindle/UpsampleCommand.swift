import ArgumentParser
import SpindleIO
import SpindleStages

/// `spindle upsample`: per-source weights and score-based up-sampling.
struct UpsampleCommand: Configurable {
    static let configuration = CommandConfiguration(
        commandName: "upsample",
        abstract: "Re-weight documents by source (and optionally by a score field), deterministically.",
        discussion: """
        Weight w writes a document floor(w) times, plus once more with
        probability frac(w) drawn from (--seed, id): the same input and seed give
        the same output. Copies are interleaved: round k holds every document
        with at least k copies, in input order; copy k gets the id "ID#k".
        Weight 0 drops a source; 0 < w < 1 down-samples it.

          spindle upsample --weights wiki=2.5,books=1.5,web=1 < docs.jsonl
          spindle classify score --model f.spcl < docs.jsonl |
            spindle upsample --by-score factual_score --above 0.8 --factor 2

        --report gives documents, bytes and estimated tokens per source.
        """)

    @Option(help: "Per-source weights, e.g. wiki=2.5,books=1.5,web=1.")
    var weights: String?
    @Option(name: .customLong("default-weight"), help: "Weight of sources not listed in --weights.")
    var defaultWeight = 1.0
    @Option(name: .customLong("by-score"), help: "A numeric field; documents whose value is above --above get --factor times their weight.")
    var byScore: String?
    @Option(help: "--by-score threshold.")
    var above = 0.5
    @Option(help: "--by-score multiplier.")
    var factor = 2.0
    @Option(help: "Seed of the fractional draws.")
    var seed: UInt64 = 0
    @Option(name: .customLong("bytes-per-token"), help: "For the report's token estimate (Llama 2's tokenizer: ~3.5 on English).")
    var bytesPerToken = 3.5
    @Option(name: .customLong("source-field"), help: "The field naming a document's source.")
    var sourceField = "source"
    @Option(name: .customLong("text-field"), help: "The field holding the text.")
    var textField = "text"
    @Option(help: "Write a JSON report to this file.")
    var report: String?
    @Option(name: .customLong("round-records"), help: "Write the number of records of each copy round, one line per round, to this file (spindle-ray restores the one-machine order with it).")
    var roundRecords: String?

    @OptionGroup var input: InputOptions
    @OptionGroup var out: OutputOptions
    @OptionGroup var config: ConfigOptions
    @Argument(help: "Input JSONL files (default: stdin).")
    var files: [String] = []

    func validate() throws {
        if let w = weights, UpsampleOptions.parseWeights(w) == nil {
            throw ValidationError("--weights expects SOURCE=WEIGHT pairs separated by commas, weights >= 0 (got '\(w)')")
        }
        guard defaultWeight >= 0, factor >= 0, bytesPerToken > 0 else { throw ValidationError("weights, --factor and --bytes-per-token must be non-negative") }
        if weights == nil && byScore == nil { throw ValidationError("give --weights, --by-score, or both") }
    }

    var options: UpsampleOptions {
        var o = UpsampleOptions()
        o.weights = weights.flatMap(UpsampleOptions.parseWeights) ?? [:]
        o.defaultWeight = defaultWeight
        o.scoreField = byScore; o.scoreAbove = above; o.scoreFactor = factor
        o.seed = seed; o.bytesPerToken = bytesPerToken
        o.sourceField = sourceField; o.textField = textField
        o.policy = input.onError; o.rejectsPath = input.rejects; o.progress = input.progress
        return o
    }

    var configJSON: JSONValue { options.json }

    func run() throws {
        let o = options
        try StageRun(command: "upsample", config: o.json, inputs: files, report: report, seed: seed, allowEmpty: input.allowEmpty).run(out) { output in
            let r = try UpsampleStage(options: o).run(inputs: files, output: output)
            if let path = roundRecords {
                let f = try OutputFile(path: path)
                try f.write(Array(r.roundRecords.map { "\($0)\n" }.joined().utf8))
                try f.commit()
            }
            let read = r.before.values.reduce(r.skipped) { $0 + $1.documents }
            return StageOutcome(summary: r.summary, report: r.json, records: (read, r.after.values.reduce(0) { $0 + $1.documents }))
        }
    }
}
