import ArgumentParser
import SpindleIO
import SpindleStages

struct IngestCommand: Configurable {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Turn raw text, JSONL, MediaWiki XML dumps or HTML pages into Spindle documents (JSONL).",
        discussion: """
        Every document gets a stable id and its source:
          text      one document per file, or per blank-line block with --blocks   (id SOURCE:FILE[#N])
          jsonl     text from --text-field, other fields kept as they are         (id kept, or SOURCE:FILE:LINE)
          wiki-xml  a MediaWiki export (.xml, .xml.gz, .xml.zst), streamed page by page; redirects and
                    pages outside --namespaces skipped, wikitext reduced to plain text (id SOURCE:PAGEID)
          html      main text of each page; scripts, navigation, headers, footers, asides dropped
        With no FILE, or FILE '-', standard input is read. Examples:
          spindle ingest --format wiki-xml --source wiki enwiki.xml.gz > wiki.jsonl
          spindle ingest --format jsonl --text-field content --source web crawl.jsonl.zst -o web.jsonl.zst
        """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, jsonl, wikiXML = "wiki-xml", html }

    @Option(help: "Input format: text, jsonl, wiki-xml or html.")
    var format: Format

    @Option(help: "The source name recorded in each document (used by upsample weights).")
    var source: String?

    @Flag(help: "text: one document per blank-line-separated block instead of per file.")
    var blocks = false

    @Option(name: .customLong("text-field"), help: "jsonl: the field holding the text.")
    var textField = "text"

    @Option(help: "wiki-xml: comma-separated namespace numbers to keep (0 = articles).")
    var namespaces = "0"

    @Option(name: .customLong("min-chars"), help: "Drop documents shorter than this many bytes of text.")
    var minChars = 1

    @OptionGroup var input: InputOptions
    @OptionGroup var out: OutputOptions
    @OptionGroup var config: ConfigOptions

    @Argument(help: "Input files (default: stdin).")
    var files: [String] = []

    var resolvedSource: String {
        source ?? (format == .wikiXML ? "wiki" : format == .html ? "web" : "text")
    }

    var configJSON: JSONValue {
        .object([
            ("format", .string(format.rawValue)), ("source", .string(resolvedSource)), ("blocks", .bool(blocks)),
            ("text_field", .string(textField)), ("namespaces", .string(namespaces)), ("min_chars", JSONValue(minChars)),
            ("on_error", .string(input.onError.rawValue)),
        ])
    }

    func run() throws {
        try StageRun(command: "ingest", config: configJSON, inputs: files, allowEmpty: input.allowEmpty).run(out) { output in
            var count = 0, seen = 0
            let progress = Progress(label: "ingest", force: input.progress)
            let emit: (Document) throws -> Void = { doc in
                seen += 1
                guard doc.textUTF8Count >= minChars else { return }
                try output.write(doc.jsonLine())
                count += 1
                progress.update(records: count, bytes: output.bytesWritten)
            }
            let dropped = try ingest(emit)
            progress.finish()
            return StageOutcome(summary: "ingest: \(count) documents", records: (seen + dropped, count))
        }
    }

    /// Emits every document; returns the units read that never became one (skipped lines, redirects
    /// and other-namespace pages, pages without main text), for the empty-output check.
    func ingest(_ emit: (Document) throws -> Void) throws -> Int {
        var dropped = 0
        let paths: [String?] = files.isEmpty ? [nil] : files.map { $0 }
        switch format {
        case .text:
            let ingest = TextIngest(source: resolvedSource, blocks: blocks)
            for p in paths { try ingest.run(path: p, emit: emit) }
        case .jsonl:
            let ingest = JSONLIngest(source: resolvedSource, textField: textField)
            let records = try RecordInput(paths: files, policy: input.onError, rejectsPath: input.rejects)
            try records.forEachLine { try emit(try ingest.document($0, input: records)) }
            try records.finish(command: "ingest")
            dropped = records.skippedTotal
        case .wikiXML:
            let ns = Set(namespaces.split(separator: ",").compactMap { Int($0.trimmingCharacters()) })
            let ingest = WikiXMLIngest(source: resolvedSource, namespaces: ns)
            for p in paths {
                let s = try ingest.run(path: p, emit: emit)
                dropped += s.pages - s.documents
                StandardError.line("ingest: \(p ?? "<stdin>"): \(s.pages) pages, \(s.documents) documents, "
                                   + "\(s.redirects) redirects and \(s.otherNamespaces) other-namespace pages skipped")
            }
        case .html:
            let extractor = HTMLExtractor()
            for p in paths {
                let name = p ?? "<stdin>"
                let page = try extractor.extract(try InputFile.readAll(path: p), name: name)
                var doc = Document(id: "\(resolvedSource):\(p ?? "stdin")", text: page.text, source: resolvedSource)
                if let title = page.title { doc.setExtra("title", .string(title)) }
                if page.text.isEmpty { StandardError.line("ingest: \(name): no main text found"); dropped += 1; continue }
                try emit(doc)
            }
        }
        return dropped
    }
}

extension Substring {
    func trimmingCharacters() -> String {
        var s = self
        while let f = s.first, f == " " { s = s.dropFirst() }
        while let l = s.last, l == " " { s = s.dropLast() }
        return String(s)
    }
}
