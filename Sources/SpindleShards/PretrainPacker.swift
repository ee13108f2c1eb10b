// Pretraining rows: every document becomes `<s> text </s>`, documents are concatenated into rows of
// exactly seq_len tokens, and segment ids (1, 2, … within a row; 0 = padding) mark which document each
// token belongs to, so attention and positions restart at document boundaries. A document longer than
// the room left continues at the start of the next row (as a new segment there). Rows pass through a
// seeded shuffle buffer; the last partial row is padded (default) or dropped.
import SpindleIO

/// Packs documents into fixed-length pretraining rows.
public final class PretrainPacker {
    public struct Options: Sendable {
        /// Pad the last partial row (true) or drop it (false).
        public var padLastRow = true
        /// Rows held for shuffling; 0 or 1 writes rows in input order.
        public var shuffleBuffer = 1024
        public init() {}
    }

    let sink: ShardSink
    let encoder: any TokenEncoder
    let options: Options
    let seqLen: Int
    var rng: SeededRandom

    private var ids: [Int32] = []
    private var segs: [Int32] = []
    private var segment: Int32 = 0
    private var buffer: [([Int32], [Int32])] = []

    public private(set) var documents = 0
    public private(set) var emptyDocuments = 0
    public private(set) var tokens = 0
    public private(set) var rows = 0
    public private(set) var continuedDocuments = 0
    public private(set) var padTokens = 0
    public private(set) var droppedTokens = 0

    public init(sink: ShardSink, encoder: any TokenEncoder, options: Options = Options()) {
        self.sink = sink
        self.encoder = encoder
        self.options = options
        self.seqLen = sink.metadata.seqLen
        self.rng = SeededRandom(seed: sink.metadata.seed, stream: "pretrain-shuffle")
        ids.reserveCapacity(seqLen)
        segs.reserveCapacity(seqLen)
    }

    /// Tokenises and adds one document. Empty documents are skipped (counted).
    public func add(text: String, id: String = "") throws(ShardError) {
        let body = encoder.encode(text)
        guard !body.isEmpty else { emptyDocuments += 1; return }
        try add(tokens: [encoder.bosID] + body + [encoder.eosID], id: id)
    }

    /// Adds one already-tokenised document (including its `<s>`/`</s>`).
    public func add(tokens doc: [Int32], id: String = "") throws(ShardError) {
        try sink.checkTokens(doc, context: "document \(id)")
        documents += 1
        tokens += doc.count
        var rest = doc[...]
        var pieces = 0
        while !rest.isEmpty {
            let take = min(seqLen - ids.count, rest.count)
            segment += 1
            pieces += 1
            ids.append(contentsOf: rest.prefix(take))
            segs.append(contentsOf: repeatElement(segment, count: take))
            rest = rest.dropFirst(take)
            if ids.count == seqLen { try emitRow() }
        }
        if pieces > 1 { continuedDocuments += 1 }
    }

    private func emitRow() throws(ShardError) {
        let row = (ids, segs)
        ids.removeAll(keepingCapacity: true)
        segs.removeAll(keepingCapacity: true)
        segment = 0
        if options.shuffleBuffer <= 1 { try write(row); return }
        if buffer.count < options.shuffleBuffer {
            buffer.append(row)
            return
        }
        let j = rng.below(buffer.count)
        let out = buffer[j]
        buffer[j] = row
        try write(out)
    }

    private func write(_ row: ([Int32], [Int32])) throws(ShardError) {
        // Columns sorted by name: input_ids, segment_ids.
        try sink.write([.integers(row.0), .integers(row.1)])
        rows += 1
    }

    /// Pads or drops the last partial row, drains the shuffle buffer, and writes index.json.
    @discardableResult
    public func finish() throws(ShardError) -> [String: JSONValue] {
        if !ids.isEmpty {
            if options.padLastRow {
                padTokens = seqLen - ids.count
                ids.append(contentsOf: repeatElement(sink.metadata.padID, count: padTokens))
                segs.append(contentsOf: repeatElement(0, count: padTokens))
                try emitRow()
            } else {
                droppedTokens = ids.count
                ids.removeAll()
                segs.removeAll()
            }
        }
        rng.shuffle(&buffer)
        for row in buffer { try write(row) }
        buffer.removeAll()
        let stats: [String: JSONValue] = [
            "documents": .int(Int64(documents)), "empty_documents": .int(Int64(emptyDocuments)),
            "tokens": .int(Int64(tokens - droppedTokens)), "rows": .int(Int64(rows)),
            "pad_tokens": .int(Int64(padTokens)), "dropped_tokens": .int(Int64(droppedTokens)),
            "continued_documents": .int(Int64(continuedDocuments)),
            "last_row": .string(options.padLastRow ? "pad" : "drop"),
            "shuffle_buffer": .int(Int64(options.shuffleBuffer)),
        ]
        try sink.finish(stats: stats)
        return stats
    }
}
