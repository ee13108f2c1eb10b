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

        example:
          spindle eval ppl --checkpoint runs/pretrain/checkpoint --tokenizer tokenizer.model --data wikitext_test.jsonl
        """)

    @Option(help: "Checkpoint directory (Spindle's, or any Hugging Face Llama).") var checkpoint: String
    @Option(help: "The SentencePiece .model of the checkpoint.") var tokenizer: String
    @Option(help: "Documents (JSONL, .gz or .zst).") var data: String
    @Option(help: "wikitext (field page, detokenised) or text (field text, as is).") var format: PerplexityFormat = .wikitext
    @Option(help: "Score only the first N documents.") var limit: Int?
    @Option(help: "Threads.") var threads = 2
    @Flag(name: .customLong("no-bos"), help: "Do not start documents with BOS (older lm-eval 0.4 releases).") var noBOS = false
    @Option(name: [.short, .long], help: "Write the results JSON (lm-eval's layout) here.") var output: String?
    @OptionGroup var config: ConfigOptions

    func validate() throws {
        try Check.int("--limit", limit, min: 1)
        try Check.threads(threads)
    }

    func run() throws {
        BLASBackend.prepareProcess()   // before any input is read: it may re-exec
        let tok = try SentencePieceModel(contentsOf: tokenizer)
        let model = try Checkpoint.load(checkpoint, head: .languageModel, tokenizer: tok, tokenizerName: tokenizer)
        model.parallel = Parallel(threads: threads)
        BLASBackend.shared.threads = threads
        let docs = try format.documents(data, limit: limit)
        guard !docs.isEmpty else { throw InputError(.format, file: data, "no documents") }
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

extension PerplexityFormat: ExpressibleByArgument {}
