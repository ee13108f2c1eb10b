import SpindleIO
import SpindleTokenizer

/// One `spindle pack` run: records read from `input`, tokenised on `threads` threads in batches,
/// added to a packer in input order, shards written through a `ShardSink`. Each method returns the
/// one-line summary; `log` receives warnings.
public struct PackRun {
    public var encoder: SentencePieceModel
    public var sink: ShardSink.Options
    public var input: RecordInput
    public var threads = 2
    public var policy: ErrorPolicy = .fail
    /// The command name used in messages, e.g. "pack sft".
    public var command: String
    public var log: (String) -> Void = { StandardError.line($0) }

    public init(encoder: SentencePieceModel, sink: ShardSink.Options, input: RecordInput, command: String) {
        self.encoder = encoder
        self.sink = sink
        self.input = input
        self.command = command
    }

    /// Documents `{"id","text",...}` into rows of exactly `sink.seqLen` tokens.
    public func pretrain(_ options: PretrainPacker.Options, textField: String) throws -> String {
        let model = encoder, start = Progress.now()
        let packer = PretrainPacker(sink: try ShardSink(kind: .pretrain, encoder: model, options: sink), encoder: model, options: options)
        var batch: [Document] = []
        var textBytes = 0
        let threads = self.threads
        func flush() throws {
            let docs = batch
            batch.removeAll(keepingCapacity: true)
            let ids = Parallel(threads: threads).map(docs) { d -> [Int32] in model.encode(d.text) }
            for (d, body) in zip(docs, ids) {
                if body.isEmpty { try packer.add(text: "", id: d.id); continue }
                try packer.add(tokens: [model.bosID] + body + [model.eosID], id: d.id)
            }
        }
        try input.forEachLine { json in
            let d = try Document(json: json, textField: textField)
            textBytes += d.textUTF8Count
            batch.append(d)
            if batch.count >= 256 { try flush() }
        }
        try flush()
        try packer.finish()
        try input.finish(command: command)
        warnIfEmpty(packer.rows)
        return "spindle \(command): \(packer.documents) documents, \(packer.tokens - packer.droppedTokens) tokens -> \(packer.rows) rows of \(sink.seqLen) "
            + "(\(packer.continuedDocuments) documents continued across rows, \(packer.padTokens) padding, "
            + "\(packer.droppedTokens) dropped, \(packer.emptyDocuments) empty skipped); "
            + "text " + Self.describeRate(bytes: textBytes, seconds: Progress.now() - start)
    }

    /// SFT dialogues into rows with Llama 2 chat loss masks.
    public func sft(_ options: SFTPacker.Options) throws -> String {
        let model = encoder, start = Progress.now()
        let packer = SFTPacker(sink: try ShardSink(kind: .sft, encoder: model, options: sink), encoder: model, options: options)
        var batcher = Batcher<Dialogue, [RenderedChat]>(threads: threads, policy: policy)
        var textBytes = 0
        let skipped = try readDialogues(into: &batcher, textBytes: &textBytes,
                                        prepare: { d in Result { () throws(ChatTemplateError) in try packer.prepare(d) } },
                                        add: { d, chats in try packer.add(prepared: chats, id: d.id) })
        try packer.finish(extraStats: ["invalid_skipped": .int(Int64(skipped + input.skippedTotal))])
        try input.finish(command: command)
        warnIfEmpty(packer.rows)
        return "spindle \(command): \(packer.examples) dialogues -> \(packer.rendered) examples in \(packer.rows) rows of \(sink.seqLen), "
            + "fill \(Self.percent(packer.fillRatio)) (\(options.strategy.rawValue)), loss on \(Self.percent(Double(packer.lossTokens) / Double(max(1, packer.tokens)))) of tokens; "
            + "\(packer.truncated) truncated, \(packer.droppedOverlong) dropped overlong, \(skipped + input.skippedTotal) invalid skipped; "
            + "text " + Self.describeRate(bytes: textBytes, seconds: Progress.now() - start)
    }

    /// Prompts of SFT dialogues (the conversation up to its last answer), each distinct one once.
    public func sftPrompts() throws -> String {
        let model = encoder, start = Progress.now()
        let packer = PromptPacker(sink: try ShardSink(kind: .prompts, encoder: model, options: sink), encoder: model)
        var batcher = Batcher<Dialogue, [Int32]>(threads: threads, policy: policy)
        var textBytes = 0
        let skipped = try readDialogues(into: &batcher, textBytes: &textBytes,
                                        prepare: { d in Result { () throws(ChatTemplateError) in
                                            try packer.prepare(Array(d.messages[..<(d.messages.lastIndex { $0.role == .assistant } ?? d.messages.count)]))
                                        } },
                                        add: { d, ids in try packer.add(id: d.id, prepared: ids, aspect: nil) })
        try packer.finish(extraStats: ["source": .string("sft"), "invalid_skipped": .int(Int64(skipped + input.skippedTotal))])
        try input.finish(command: command)
        warnIfEmpty(packer.prompts)
        return "spindle \(command) --prompts-only: \(packer.prompts) distinct prompts (\(packer.duplicates) duplicates, "
            + "\(packer.droppedOverlong) overlong dropped); text " + Self.describeRate(bytes: textBytes, seconds: Progress.now() - start)
    }

    /// Reads SFT records into `batcher`, flushing every batch; returns the dialogues skipped as invalid.
    private func readDialogues<P>(into batcher: inout Batcher<Dialogue, P>, textBytes: inout Int,
                                  prepare: (Dialogue) -> Result<P, ChatTemplateError>,
                                  add: (Dialogue, P) throws -> Void) throws -> Int {
        var skipped = 0
        try input.forEach(SFTExample.self) { e in
            textBytes += e.messages.reduce(0) { $0 + $1.content.utf8.count }
            batcher.items.append((e, input.currentFile, input.currentLine))
            if batcher.items.count >= batcher.size { try batcher.flush(prepare: prepare, add: add, skipped: &skipped) }
        }
        try batcher.flush(prepare: prepare, add: add, skipped: &skipped)
        return skipped
    }

    /// Says so when nothing was written: the directory is a valid empty MDS data set, but streaming
    /// refuses to open one.
    func warnIfEmpty(_ samples: Int) {
        if samples == 0 {
            log("spindle \(command): warning: no samples written to \(sink.directory) (streaming.StreamingDataset refuses an empty data set)")
        }
    }

    static func describeRate(bytes: Int, seconds: Double) -> String {
        let mb = Double(bytes) / 1_000_000
        return "\(Progress.format(mb, 1)) MB in \(Progress.format(seconds, 2)) s (\(Progress.format(mb / max(seconds, 1e-9), 2)) MB/s)"
    }

    static func percent(_ x: Double) -> String { Progress.format(x * 100, 2) + "%" }
}

/// Records read in batches, prepared (tokenised) on several threads, then added in input order.
struct Batcher<Record, Prepared> {
    var items: [(record: Record, file: String, line: Int)] = []
    let size = 256
    let threads: Int
    let policy: ErrorPolicy

    init(threads: Int, policy: ErrorPolicy) { self.threads = threads; self.policy = policy }

    /// Prepares the pending batch and hands each result to `add`, in input order.
    mutating func flush(prepare: (Record) -> Result<Prepared, ChatTemplateError>,
                        add: (Record, Prepared) throws -> Void, skipped: inout Int) throws {
        let batch = items
        items.removeAll(keepingCapacity: true)
        let results = Parallel(threads: threads).map(batch.map(\.record), prepare)
        for (item, result) in zip(batch, results) {
            switch result {
            case .success(let p): try add(item.record, p)
            case .failure(let e):
                if policy == .fail { throw InputError(.invalidValue, file: item.file, line: item.line, field: "messages", "\(e)") }
                skipped += 1
            }
        }
    }
}
