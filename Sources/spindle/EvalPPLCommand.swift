import ArgumentParser
import Foundation
import SpindleEval
import SpindleIO
import SpindleTokenizer
import SpindleTrainer

/// `spindle eval ppl`: perplexity of held-out documents with the harness's rolling windows.
struct EvalPPL: Configurable {
    static let configuration = CommandConfiguration(
        commandName: "ppl",
        abstract: "Perplexity of documents as lm-evaluation-harness's wikitext task measures it (rolling windows).",
        discussion: """
        Each document is encoded whole and scored in disjoint windows of the model's context, each
        token predicted once (the harness's loglikelihood_rolling). Prints word_perplexity,
        byte_perplexity and bits_per_byte over all documents (words and bytes of the original text).
        --format wikitext reads `page` (EleutherAI/wikitext_document_level rows) and detokenises it as
        the wikitext task does; --format text reads `text` and scores it as is.

        --by-position instead reports perplexity against position in the context: the documents are
        concatenated (BOS each) into disjoint windows of --context tokens (default: the model's), and the
        targets are grouped into --buckets position ranges (table on stdout, --svg draws the curve, -o the
        JSON). --context may exceed the model's length (extrapolation), and --rope-scaling TYPE:FACTOR
        applies a scaling to the checkpoint as loaded; --checkpoint may be repeated to compare models on
        one chart (docs/ADAPT.md).

        examples:
          spindle eval ppl --checkpoint runs/pretrain/checkpoint --tokenizer tokenizer.model --data wikitext_test.jsonl
          spindle eval ppl --by-position --checkpoint runs/base/checkpoint --checkpoint runs/pi/checkpoint \
            --context 1024 --tokenizer tok.model --data long.jsonl --format text --svg ppl-by-position.svg
        """)

    @Option(help: "Checkpoint directory (Spindle's, or any Hugging Face Llama); repeatable with --by-position.") var checkpoint: [String]
    @Option(help: "The SentencePiece .model of the checkpoint.") var tokenizer: String
    @Option(help: "Documents (JSONL, .gz or .zst).") var data: String
    @Option(help: "wikitext (field page, detokenised) or text (field text, as is).") var format: PerplexityFormat = .wikitext
    @Option(help: "Score only the first N documents.") var limit: Int?
    @Option(help: "Threads.") var threads = 2
    @Flag(name: .customLong("no-bos"), help: "Do not start documents with BOS (older lm-eval 0.4 releases).") var noBOS = false
    @Option(name: [.short, .long], help: "Write the results JSON (lm-eval's layout; --by-position: the buckets) here.") var output: String?
    @Flag(help: "Perplexity by position in the context instead of rolling windows.") var byPosition = false
    @Option(help: "--by-position: window length (default the model's context; longer extrapolates).") var context: Int?
    @Option(help: "--by-position: position ranges.") var buckets = 8
    @Option(help: "--by-position: score at most N windows per checkpoint.") var maxWindows: Int?
    @Option(help: "--by-position: write the perplexity-by-position chart (SVG) here.") var svg: String?
    @Option(help: "Apply rotary scaling TYPE:FACTOR (linear:4, dynamic:4, yarn:4, llama3:4) to the loaded checkpoint.") var ropeScaling: String?
    @OptionGroup var config: ConfigOptions
    @OptionGroup var overwriting: OverwriteOption

    func validate() throws {
        try Check.int("--limit", limit, min: 1)
        try Check.threads(threads)
        try Check.int("--context", context, min: 2, max: 1 << 20)
        try Check.int("--buckets", buckets, min: 1, max: 4096)
        try Check.int("--max-windows", maxWindows, min: 1)
        try checkRoPEScaling(ropeScaling)
        if checkpoint.isEmpty { throw ValidationError("--checkpoint is required") }
        if checkpoint.count > 1 && !byPosition { throw ValidationError("several --checkpoint need --by-position") }
        if !byPosition && (context != nil || svg != nil || maxWindows != nil) {
            throw ValidationError("--context, --svg and --max-windows go with --by-position")
        }
    }

    /// The checkpoint as evaluated: with --rope-scaling applied and stretched to --context.
    func load(_ dir: String, _ tok: SentencePieceModel) throws -> LlamaModel {
        var model = try Checkpoint.load(dir, head: .languageModel, tokenizer: tok, tokenizerName: tokenizer)
        if let ropeScaling { model = try model.reconfigured(try model.config.scaled(try RoPEScaling(argument: ropeScaling))) }
        if let context, context > model.config.maxSeqLen {
            var c = model.config
            c.maxSeqLen = context
            model = try model.reconfigured(c)
        }
        model.parallel = Parallel(threads: threads)
        return model
    }

    func run() throws {
        BLASBackend.prepareProcess()   // before any input is read: it may re-exec
        let tok = try SentencePieceModel(contentsOf: tokenizer)
        BLASBackend.shared.threads = threads
        let docs = try format.documents(data, limit: limit)
        guard !docs.isEmpty else { throw InputError(.format, file: data, "no documents") }
        if byPosition { return try runByPosition(docs.map(\.text), tok) }
        let model = try load(checkpoint[0], tok)
        let enc = HarnessEncoder(tokenizer: tok, addBOS: !noBOS, maxLength: model.config.maxSeqLen)
        let progress = Progress(label: "eval ppl")
        let o = try RollingPerplexity.run(docs, encoder: enc, scorer: try ContinuationScorer(model: model, rows: 1)) {
            progress.update(records: $0, bytes: 0)
        }
        progress.finish()
        print(String(format: "word_perplexity %.6f  byte_perplexity %.6f  bits_per_byte %.6f  documents %d  tokens %d  windows %d",
                     o.wordPerplexity, o.bytePerplexity, o.bitsPerByte, docs.count, o.tokens, o.windows))
        if let output {
            let f = try OutputFile(path: output)
            try f.write(o.resultsJSON(task: format.rawValue).bytes(.indented) + [10])
            try f.commit()
        }
    }
}

extension EvalPPL {
    func runByPosition(_ texts: [String], _ tok: SentencePieceModel) throws {
        var results: [(name: String, result: PositionPerplexity)] = []
        for dir in checkpoint {
            let model = try load(dir, tok)
            let ctx = context ?? model.config.maxSeqLen
            let enc = HarnessEncoder(tokenizer: tok, addBOS: !noBOS, maxLength: ctx)
            let progress = Progress(label: "eval ppl --by-position")
            let r = try PositionPerplexity.run(texts, encoder: enc, scorer: Scorer(model: model), context: ctx, buckets: buckets,
                                               maxWindows: maxWindows) { progress.update(records: $0, bytes: 0) }
            progress.finish()
            guard r.windows > 0 else { throw InputError(.format, file: data, "the documents hold fewer than \(ctx) tokens: no window to score") }
            let scaling = model.config.ropeScaling.map { " (rope scaling \($0.argument))" } ?? ""
            print("\(dir)\(scaling)\n\(r.table)")
            results.append((dir, r))
        }
        if let svg {
            let f = try OutputFile(path: svg)
            try f.write(Array(PositionPerplexity.svg(results).utf8) + [10])
            try f.commit()
        }
        if let output {
            let f = try OutputFile(path: output)
            let v = JSONValue.object(results.map { ($0.name, $0.result.json) })
            try f.write(v.bytes(.indented) + [10])
            try f.commit()
        }
    }
}

extension PerplexityFormat: ExpressibleByArgument {}
